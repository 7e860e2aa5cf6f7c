"""Meta's side of message templates, for the Graph stand-in (tests/fake_graph.py).

Pure module (standard library only). `FakeGraph(...).templates` is a `TemplateStore`:

    graph.templates.add_template("1234", "order_ready", "es", components, parameter_format="NAMED")
    graph.templates.add_account("5678")                  # an account with no template yet
    graph.templates.max_page_size = 2                     # pages of 2 whatever `limit` asks
    graph.templates.pause("order_ready", "es")            # Meta's state changes...
    body = graph.templates.status_webhook("order_ready", "es", "PAUSED")   # ...and the webhook it sends
    body = graph.templates.event("order_ready", "es", "FLAGGED")   # both at once: change + webhook body
    graph.templates.quality_webhook("order_ready", "es", "RED")
    graph.templates.category_webhook("order_ready", "es", "MARKETING")
    graph.templates.remove("1234", "order_ready", "es")   # gone at Meta (no webhook)
    for t in sample_set("_x1"): graph.templates.add_template("1234", **t)   # a varied set, 6 rows

Post a webhook body signed to the site as Meta would (tests/processes.py WebServer.post_webhook or
the in-process helpers of tests/test_webhook.py).

What it serves, as Meta does:
- `GET /{version}/{waba}/message_templates` in pages (`page_size`, default 2, or `limit`), with
  `paging.cursors` and an absolute `paging.next` while more remain; `fields=` and `status=` honoured;
  `quality_score` only when asked for in `fields` (as Meta's default field list leaves it out).
- `POST /{version}/{waba}/message_templates`: checks name (a-z0-9_), language, category, one BODY
  ≤ 1024 characters not starting or ending with a variable, examples for every variable, a media
  header's `example.header_handle` from the Resumable Upload API below, button rules (≤ 10 buttons,
  text ≤ 25, a dynamic URL needs its example); a second name + language answers Meta's error 100 /
  subcode 2388024 "Content in this language already exists". Answers {id, status: PENDING, category}.
- `GET /{version}/app` → {"id": app_id}; `POST /{version}/{app}/uploads?file_length&file_type` →
  {"id": "upload:…"}; `POST /{version}/upload:…` (raw bytes, `Authorization: OAuth …`) → {"h": handle}.
- Every template send (`POST /messages`, type template) is checked against the template held:
  unknown name/language or not APPROVED → 132001 (HTTP 404); PAUSED → 132015; DISABLED → 132016;
  parameter count → 132000; positional/named mismatch, a missing or unknown `parameter_name`, a media
  header without its parameter → 132012; an empty text → 131008 ("Parameter of type text is missing
  text value"); a newline, tab or more than four consecutive spaces → 132018 (what Meta answers on
  the wire, with the details "Param text cannot have new-line/tab characters or more than 4
  consecutive spaces"; pywa and PROTOCOLS §A8 name 132008 "parameter value invalid", which Meta's
  send path was not seen answering for these); a header media id never uploaded, a button index or
  sub_type the template lacks, a parameter for a static URL button → 131009; a dynamic URL button
  without its suffix → 131008; the filled body over 1024 characters → 132005.
  `strict = False` turns the send check off (a test about something else sending an unknown name).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from urllib.parse import parse_qs, urlencode

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
AT_END = re.compile(r"\{\{\s*[A-Za-z0-9_]+\s*\}\}$")
NAME = re.compile(r"[a-z0-9_]{1,512}")
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
MEDIA_FORMATS = ("DOCUMENT", "IMAGE", "VIDEO")
BAD_TEXT = re.compile(r"[\n\r\t]| {5,}")
BODY_LIMIT = 1024
BUTTON_TEXT_LIMIT = 25
MAX_BUTTONS = 10
# sub_type of a send's button component for each button type of a template
SUB_TYPES = {"QUICK_REPLY": "quick_reply", "URL": "url", "COPY_CODE": "copy_code", "FLOW": "flow"}
FIELDS = ("name", "parameter_format", "components", "language", "status", "category", "id")

SEND_ERRORS = {  # code: (HTTP status, message) as Meta answers a send
	132001: (404, "(#132001) Template name does not exist in the translation"),
	132015: (
		400,
		"(#132015) Template is temporarily unavailable to use because it was paused due to low quality.",
	),
	132016: (
		400,
		"(#132016) Template has been paused too many times due to low quality and is now permanently disabled.",
	),
	132000: (400, "(#132000) Number of parameters does not match the expected number of params"),
	132012: (400, "(#132012) Parameter format does not match format in the created template"),
	131008: (400, "(#131008) Required parameter is missing"),
	132018: (400, "(#132018) There was an issue with the parameters in your template."),
	131009: (400, "(#131009) Parameter value is not valid"),
	132005: (400, "(#132005) Translated text too long"),
}
PAUSE_TITLES = {1: "FIRST_PAUSE", 2: "SECOND_PAUSE"}


def variables(text: str | None) -> list[str]:
	"""The distinct variables of a text, in order of first appearance ("1", "2" or names)."""
	seen: list[str] = []
	for name in VARIABLE.findall(text or ""):
		if name not in seen:
			seen.append(name)
	return seen


def error_body(code: int, message: str, details: str, **extra) -> dict:
	error = {
		"message": message,
		"type": "OAuthException",
		"code": code,
		"error_data": {"messaging_product": "whatsapp", "details": details},
		"fbtrace_id": "FAKE-TRACE",
	}
	error.update(extra)
	return {"error": error}


class SendRejected(Exception):
	def __init__(self, code: int, details: str):
		super().__init__(details)
		self.code = code
		self.details = details

	def answer(self) -> tuple[int, dict]:
		status, message = SEND_ERRORS[self.code]
		return status, error_body(self.code, message, self.details)


class TemplateStore:
	def __init__(self, base_url, page_size: int = 2, app_id: str = "1000000000001"):
		self._base_url = base_url  # callable: the stand-in's URL (known once it listens)
		self.page_size = page_size
		self.max_page_size = 1000  # Meta caps `limit`; a test lowers it to get pages from any client
		self.app_id = app_id
		self.strict = True
		self.templates: dict[str, list[dict]] = {}  # waba id -> templates in creation order
		self.handles: dict[str, tuple[bytes, str]] = {}  # upload handle -> (content, file type)
		self._sessions: dict[str, tuple[int, str]] = {}
		self._ids = itertools.count(1)
		self._lock = threading.Lock()

	# -- scripting: Meta's state -----------------------------------------------------------

	def add_template(
		self,
		waba_id: str,
		name: str,
		language: str,
		components: list,
		*,
		category: str = "UTILITY",
		parameter_format: str = "POSITIONAL",
		status: str = "APPROVED",
		quality_score: str | None = "GREEN",
		template_id: str | None = None,
	) -> dict:
		template = {
			"name": name,
			"language": language,
			"category": category,
			"parameter_format": parameter_format,
			"components": json.loads(json.dumps(components)),
			"status": status,
			"id": template_id or self._new_id(),
			"_quality": quality_score,
			"_pauses": 0,
			"_before_archive": None,
		}
		with self._lock:
			self.templates.setdefault(str(waba_id), []).append(template)
		return template

	def add_account(self, waba_id: str) -> None:
		"""A WhatsApp Business Account with no template yet (an unknown one answers error 100)."""
		with self._lock:
			self.templates.setdefault(str(waba_id), [])

	def get(self, name: str, language: str, waba_id: str | None = None) -> dict | None:
		with self._lock:
			for waba, held in self.templates.items():
				if waba_id and waba != str(waba_id):
					continue
				for template in held:
					if template["name"] == name and template["language"] == language:
						return template
		return None

	def waba_of(self, template: dict) -> str:
		with self._lock:
			return next(w for w, held in self.templates.items() if any(t is template for t in held))

	def remove(self, waba_id: str, name: str, language: str) -> None:
		with self._lock:
			held = self.templates.get(str(waba_id), [])
			held[:] = [t for t in held if not (t["name"] == name and t["language"] == language)]

	def set_status(self, name: str, language: str, status: str) -> dict:
		template = self._must(name, language)
		template["status"] = status
		return template

	def approve(self, name: str, language: str) -> dict:
		return self.set_status(name, language, "APPROVED")

	def pause(self, name: str, language: str) -> dict:
		"""A pause as Meta counts them: the third disables the template."""
		template = self._must(name, language)
		template["_pauses"] += 1
		template["status"] = "DISABLED" if template["_pauses"] >= 3 else "PAUSED"
		return template

	def disable(self, name: str, language: str) -> dict:
		return self.set_status(name, language, "DISABLED")

	# -- webhooks Meta sends ---------------------------------------------------------------

	def event(self, name: str, language: str, event: str, **kwargs) -> dict:
		"""Apply `event` to Meta's state as Meta does, and return the webhook body it sends."""
		template = self._must(name, language)
		if event == "PAUSED":
			self.pause(name, language)
			if template["status"] == "DISABLED":
				event = "DISABLED"
		elif event in ("APPROVED", "REINSTATED", "UNPAUSED"):
			template["status"] = "APPROVED"
		elif event == "FLAGGED":
			pass  # an event on an APPROVED template, not a status
		elif event == "ARCHIVED":
			template["_before_archive"] = template["status"]
			template["status"] = "ARCHIVED"
		elif event == "UNARCHIVED":
			template["status"] = template["_before_archive"] or "APPROVED"
		elif event not in ("UNLOCKED",):
			template["status"] = event
		return self.status_webhook(name, language, event, **kwargs)

	def status_webhook(
		self,
		name: str,
		language: str,
		event: str,
		*,
		reason: str | None = None,
		other_info: dict | None = None,
		disable_date: int | None = None,
		rejection_info: dict | None = None,
		at: int | None = None,
	) -> dict:
		template = self._must(name, language)
		at = int(at or time.time())
		value = {
			"event": event,
			"message_template_id": int(template["id"]),
			"message_template_name": name,
			"message_template_language": language,
			"reason": reason or ("NONE" if event != "REJECTED" else "INVALID_FORMAT"),
			"message_template_category": template["category"],
		}
		if event == "PAUSED" and other_info is None:
			count = template["_pauses"] or 1
			hours = 3 if count == 1 else 6
			other_info = {
				"title": PAUSE_TITLES.get(count, "FIRST_PAUSE"),
				"description": f"Your WhatsApp message template has been paused for {hours} hours "
				"due to low quality.",
			}
		if event in ("DISABLED", "FLAGGED"):
			value["disable_info"] = {
				"disable_date": disable_date or at + (0 if event == "DISABLED" else 7 * 86400)
			}
		if other_info:
			value["other_info"] = other_info
		if rejection_info:
			value["rejection_info"] = rejection_info
		return self._webhook(template, "message_template_status_update", value, at)

	def quality_webhook(
		self, name: str, language: str, new: str, previous: str | None = None, at: int | None = None
	) -> dict:
		template = self._must(name, language)
		previous = previous or template["_quality"] or "UNKNOWN"
		template["_quality"] = new
		value = {
			"previous_quality_score": previous,
			"new_quality_score": new,
			"message_template_id": int(template["id"]),
			"message_template_name": name,
			"message_template_language": language,
		}
		return self._webhook(template, "message_template_quality_update", value, at)

	def category_webhook(
		self,
		name: str,
		language: str,
		new: str,
		previous: str | None = None,
		correct: str | None = None,
		at: int | None = None,
	) -> dict:
		"""`correct`: Meta announces a recategorisation in 24 h (the category stays `new` for now)."""
		template = self._must(name, language)
		value = {
			"message_template_id": int(template["id"]),
			"message_template_name": name,
			"message_template_language": language,
			"new_category": new,
		}
		if correct:
			value["correct_category"] = correct
		else:
			value["previous_category"] = previous or template["category"]
			template["category"] = new
		return self._webhook(template, "template_category_update", value, at)

	def _webhook(self, template: dict, field: str, value: dict, at: int | None) -> dict:
		return {
			"object": "whatsapp_business_account",
			"entry": [
				{
					"id": self.waba_of(template),
					"time": int(at or time.time()),
					"changes": [{"value": value, "field": field}],
				}
			],
		}

	# -- the HTTP side (called by FakeGraph's handler) ------------------------------------

	def handle_get(self, path: str, query: str) -> tuple[int, dict] | None:
		parts = path.strip("/").split("/")
		if len(parts) == 2 and parts[1] == "app":
			return 200, {"id": self.app_id}
		if len(parts) != 3 or parts[2] != "message_templates":
			return None
		version, waba = parts[0], parts[1]
		with self._lock:
			held = self.templates.get(waba)
			held = list(held) if held is not None else None
		if held is None:
			return 400, _unknown_object(waba)
		params = {k: v[0] for k, v in parse_qs(query).items()}
		if params.get("status"):
			held = [t for t in held if t["status"] in params["status"].split(",")]
		limit = max(1, min(int(params.get("limit") or self.page_size), self.max_page_size))
		start = _decode_cursor(params.get("after"))
		page = held[start : start + limit]
		asked = [f for f in (params.get("fields") or "").split(",") if f] or list(FIELDS)
		data = [_shown(t, asked) for t in page]
		body: dict = {"data": data}
		if page:
			body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(page))}}
			if start + len(page) < len(held):
				query_next = {k: v for k, v in params.items() if k != "before"}
				query_next.update(limit=str(limit), after=_cursor(start + len(page)))
				body["paging"]["next"] = (
					f"{self._base_url()}/{version}/{waba}/message_templates?{urlencode(query_next)}"
				)
		return 200, body

	def handle_post(self, path: str, query: str, body: dict | None, raw: bytes) -> tuple[int, dict] | None:
		parts = path.strip("/").split("/")
		if len(parts) == 2 and parts[1].startswith("upload:"):
			return self._finish_upload(parts[1], raw)
		if len(parts) == 3 and parts[2] == "uploads":
			return self._start_upload(parts[1], query)
		if len(parts) != 3 or parts[2] != "message_templates":
			return None
		with self._lock:
			known = parts[1] in self.templates
		if not known:
			return 400, _unknown_object(parts[1])
		problem = self.creation_problem(body or {})
		if problem:
			return 400, problem
		if self.get(body["name"], body["language"], parts[1]):
			language = body["language"]
			return 400, {
				"error": {
					"message": "Invalid parameter",
					"type": "OAuthException",
					"code": 100,
					"error_subcode": 2388024,
					"is_transient": False,
					"error_user_title": "Content in this language already exists",
					"error_user_msg": f"There is already {language} content for this template. You can "
					"create a new template and try again.",
					"fbtrace_id": "FAKE-TRACE",
				}
			}
		template = self.add_template(
			parts[1],
			body["name"],
			body["language"],
			body["components"],
			category=body["category"],
			parameter_format=str(body.get("parameter_format") or "POSITIONAL").upper(),
			status="PENDING",
			quality_score=None,
		)
		return 200, {"id": template["id"], "status": "PENDING", "category": template["category"]}

	def _start_upload(self, app_id: str, query: str) -> tuple[int, dict]:
		params = {k: v[0] for k, v in parse_qs(query).items()}
		if app_id != self.app_id:
			return 400, _unknown_object(app_id)
		if not params.get("file_length", "").isdigit() or not params.get("file_type"):
			return 400, _invalid_parameter("file_length and file_type are required")
		session = f"upload:FAKE{next(self._ids):06d}"
		with self._lock:
			self._sessions[session] = (int(params["file_length"]), params["file_type"])
		return 200, {"id": session}

	def _finish_upload(self, session: str, raw: bytes) -> tuple[int, dict]:
		with self._lock:
			expected = self._sessions.pop(session, None)
		if expected is None:
			return 400, _unknown_object(session)
		if len(raw) != expected[0]:
			return 400, _invalid_parameter(f"file_length {expected[0]} but {len(raw)} bytes arrived")
		handle = f"4::{base64.b64encode(session.encode()).decode()}"
		with self._lock:
			self.handles[handle] = (raw, expected[1])
		return 200, {"h": handle}

	# -- creation rules --------------------------------------------------------------------

	def creation_problem(self, body: dict) -> dict | None:
		def bad(message: str) -> dict:
			return _invalid_parameter(message)

		name, language = body.get("name"), body.get("language")
		if not isinstance(name, str) or not NAME.fullmatch(name):
			return bad("name: only lowercase letters, numbers and underscores")
		if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
			return bad(f"language: {language!r} is not a supported language")
		if body.get("category") not in CATEGORIES:
			return bad(f"category must be one of {', '.join(CATEGORIES)}")
		named = str(body.get("parameter_format") or "POSITIONAL").upper() == "NAMED"
		components = body.get("components")
		if not isinstance(components, list):
			return bad("components must be a list")
		kinds = [str(c.get("type") or "").upper() for c in components if isinstance(c, dict)]
		if kinds.count("BODY") != 1 or len(kinds) != len(components) or len(set(kinds)) != len(kinds):
			return bad("components: exactly one BODY and at most one HEADER, FOOTER and BUTTONS")
		for component in components:
			problem = self._component_problem(component, named)
			if problem:
				return bad(problem)
		return None

	def _component_problem(self, component: dict, named: bool) -> str | None:
		kind = component["type"].upper()
		text = component.get("text") or ""
		example = component.get("example") or {}
		if kind == "BODY":
			if not text or len(text) > BODY_LIMIT:
				return f"body: text is required and at most {BODY_LIMIT} characters"
			stripped = text.strip()
			if VARIABLE.match(stripped) or AT_END.search(stripped):
				return "body: Variables can't be at the start or end of the template."
			return _examples_problem("body", variables(text), example, named)
		if kind == "HEADER":
			fmt = str(component.get("format") or "").upper()
			if fmt == "TEXT":
				if not text or len(text) > 60 or len(variables(text)) > 1:
					return "header: text of at most 60 characters with at most one variable"
				return _examples_problem("header", variables(text), example, named)
			if fmt in MEDIA_FORMATS:
				handles = example.get("header_handle") or []
				if not handles or handles[0] not in self.handles:
					return f"header: a {fmt} header needs example.header_handle from the Resumable Upload API"
				return None
			if fmt != "LOCATION":
				return f"header: unknown format {fmt!r}"
			return None
		if kind == "FOOTER":
			if not text or len(text) > 60 or variables(text):
				return "footer: text of at most 60 characters, no variables"
			return None
		buttons = component.get("buttons") or []
		if not 0 < len(buttons) <= MAX_BUTTONS:
			return f"buttons: between 1 and {MAX_BUTTONS} buttons"
		for index, button in enumerate(buttons):
			kind = str(button.get("type") or "").upper()
			if kind not in ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "FLOW"):
				return f"buttons[{index}]: unknown type {kind!r}"
			if kind != "COPY_CODE" and not 0 < len(button.get("text") or "") <= BUTTON_TEXT_LIMIT:
				return f"buttons[{index}]: text of 1 to {BUTTON_TEXT_LIMIT} characters"
			if kind == "URL":
				url = button.get("url") or ""
				if not url.startswith(("https://", "http://")):
					return f"buttons[{index}]: url must be http(s)"
				if variables(url) and (not url.endswith("}}") or not button.get("example")):
					return f"buttons[{index}]: a variable only at the end of the url, with an example"
		if sum(1 for b in buttons if str(b.get("type")).upper() == "URL") > 2:
			return "buttons: at most 2 URL buttons"
		return None

	# -- checking a send -------------------------------------------------------------------

	def check_send(self, body: dict, media: dict) -> tuple[int, dict] | None:
		"""None when Meta would accept this template send; else (HTTP status, error body)."""
		if not self.strict or body.get("type") != "template":
			return None
		try:
			self._check(body.get("template") or {}, media)
		except SendRejected as rejected:
			return rejected.answer()
		return None

	def _check(self, sent: dict, media: dict) -> None:
		name = sent.get("name")
		language = (sent.get("language") or {}).get("code")
		template = self.get(name, language)
		if template is None or template["status"] not in ("APPROVED", "PAUSED", "DISABLED"):
			raise SendRejected(132001, f"template name ({name}) does not exist in {language}")
		if template["status"] == "PAUSED":
			raise SendRejected(132015, f"template {name} ({language}) is paused")
		if template["status"] == "DISABLED":
			raise SendRejected(132016, f"template {name} ({language}) is disabled")
		named = template["parameter_format"] == "NAMED"
		held = {str(c.get("type")).upper(): c for c in template["components"]}
		sent_components = sent.get("components") or []
		by_type: dict[str, dict] = {}
		buttons_sent: dict[int, dict] = {}
		for component in sent_components:
			kind = str(component.get("type") or "").lower()
			if kind == "button":
				buttons_sent[_index(component)] = component
			else:
				by_type[kind] = component
		header = held.get("HEADER")
		fmt = str((header or {}).get("format") or "").upper()
		if fmt in MEDIA_FORMATS:
			self._check_media_header(fmt, by_type.get("header"), media)
		else:
			expected = variables((header or {}).get("text")) if fmt == "TEXT" else []
			_check_texts("header", expected, (by_type.get("header") or {}).get("parameters") or [], named)
		body_vars = variables(held["BODY"].get("text"))
		body_params = (by_type.get("body") or {}).get("parameters") or []
		values = _check_texts("body", body_vars, body_params, named)
		filled = VARIABLE.sub(lambda m: values.get(m.group(1), ""), held["BODY"].get("text") or "")
		if len(filled) > BODY_LIMIT:
			raise SendRejected(
				132005, f"body: the filled text has {len(filled)} characters, over {BODY_LIMIT}"
			)
		_check_buttons((held.get("BUTTONS") or {}).get("buttons") or [], buttons_sent)

	def _check_media_header(self, fmt: str, component: dict | None, media: dict) -> None:
		parameters = (component or {}).get("parameters") or []
		kind = fmt.lower()
		if len(parameters) != 1 or parameters[0].get("type") != kind:
			received = (parameters[0].get("type") or "UNKNOWN").upper() if parameters else "UNKNOWN"
			raise SendRejected(132012, f"header: Format mismatch, expected {fmt}, received {received}")
		item = parameters[0].get(kind) or {}
		if item.get("link"):
			return
		if not item.get("id"):
			raise SendRejected(131008, f"header: the {kind} parameter needs an id or a link")
		if item["id"] not in media:
			raise SendRejected(131009, f"header: media id {item['id']} was never uploaded")
		mime = media[item["id"]][1]
		if kind == "image" and not mime.startswith("image/"):
			raise SendRejected(131009, f"header: media {item['id']} is {mime}, not an image")

	def _must(self, name: str, language: str) -> dict:
		template = self.get(name, language)
		if template is None:
			raise KeyError(f"the stand-in holds no template {name} ({language})")
		return template

	def _new_id(self) -> str:
		return str(880000000000000 + next(self._ids))


def sample_set(suffix: str = "") -> list[dict]:
	"""A varied set of templates as Meta lists them (add each with `add_template(waba, **t)`):
	positional and named, a text header and a document header, quick-reply, dynamic and static URL
	and phone buttons. `suffix` keeps names unique per test run."""
	handle = "4::ZmFrZS1leGFtcGxl"
	return [
		{
			"name": f"t_order_ready{suffix}",
			"language": "es",
			"components": [
				{
					"type": "BODY",
					"text": "Hola {{1}}, tu pedido {{2}} está listo.",
					"example": {"body_text": [["Ana", "SO-0001"]]},
				}
			],
		},
		{
			"name": f"t_invoice_named{suffix}",
			"language": "en",
			"parameter_format": "NAMED",
			"components": [
				{"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": [handle]}},
				{
					"type": "BODY",
					"text": "Invoice {{invoice}} for {{amount}} is attached.",
					"example": {
						"body_text_named_params": [
							{"param_name": "invoice", "example": "ACC-SINV-0001"},
							{"param_name": "amount", "example": "$1,200.00"},
						]
					},
				},
				{"type": "FOOTER", "text": "Test Company"},
				{
					"type": "BUTTONS",
					"buttons": [
						{"type": "QUICK_REPLY", "text": "Paid"},
						{"type": "QUICK_REPLY", "text": "Not yet"},
					],
				},
			],
		},
		{
			"name": f"t_shipped{suffix}",
			"language": "en",
			"components": [
				{
					"type": "HEADER",
					"format": "TEXT",
					"text": "Order {{1}}",
					"example": {"header_text": ["SO-7"]},
				},
				{
					"type": "BODY",
					"text": "Your order {{1}} has shipped.",
					"example": {"body_text": [["SO-7"]]},
				},
				{
					"type": "BUTTONS",
					"buttons": [
						{
							"type": "URL",
							"text": "Track",
							"url": "https://example.com/track/{{1}}",
							"example": ["https://example.com/track/SO-7"],
						},
						{"type": "URL", "text": "Help", "url": "https://example.com/help"},
						{"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550783881"},
					],
				},
			],
		},
		{
			"name": f"t_waiting{suffix}",
			"language": "es",
			"parameter_format": "NAMED",
			"components": [
				{
					"type": "BODY",
					"text": "Tienes {{count}} mensajes nuevos de {{company}}. Toca abajo para leerlos.",
					"example": {
						"body_text_named_params": [
							{"param_name": "count", "example": "3"},
							{"param_name": "company", "example": "Test Company"},
						]
					},
				},
				{"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Ver mensajes"}]},
			],
		},
		{
			"name": f"t_hello{suffix}",
			"language": "en",
			"components": [{"type": "BODY", "text": "Hello! There is news for you."}],
		},
		{
			"name": f"t_hello{suffix}",
			"language": "es",
			"components": [{"type": "BODY", "text": "¡Hola! Hay novedades para ti."}],
		},
	]


def _check_texts(where: str, expected: list[str], parameters: list, named: bool) -> dict[str, str]:
	"""Meta's checks of one component's text parameters; {variable: value} when they pass."""
	if len(parameters) != len(expected):
		raise SendRejected(
			132000,
			f"{where}: number of localizable_params ({len(parameters)}) does not match the expected "
			f"number of params ({len(expected)})",
		)
	values: dict[str, str] = {}
	for position, parameter in enumerate(parameters, start=1):
		has_name = "parameter_name" in parameter
		if named != has_name:
			raise SendRejected(
				132012,
				f"{where}: Format mismatch, expected {'NAMED' if named else 'POSITIONAL'}, received "
				f"{'NAMED' if has_name else 'POSITIONAL'}",
			)
		key = parameter.get("parameter_name") if named else str(position)
		if named and key not in expected:
			raise SendRejected(132012, f"{where}: parameter_name {key!r} is not in the template")
		if parameter.get("type") not in ("text", "currency", "date_time"):
			raise SendRejected(132012, f"{where}: parameter of type {parameter.get('type')!r}")
		text = parameter.get("text") if parameter.get("type") == "text" else "x"
		_check_value(where, text)
		values[key] = str(text)
	if named and set(values) != set(expected):
		raise SendRejected(132000, f"{where}: parameters {sorted(set(expected) - set(values))} are missing")
	return values


def _check_value(where: str, text) -> None:
	if not isinstance(text, str) or not text.strip():
		raise SendRejected(131008, f"{where}: Parameter of type text is missing text value")
	if BAD_TEXT.search(text):
		raise SendRejected(
			132018, "Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
		)


def _check_buttons(buttons: list, sent: dict[int, dict]) -> None:
	for index, component in sent.items():
		if not 0 <= index < len(buttons):
			raise SendRejected(131009, f"buttons: there is no button at index {index}")
		kind = str(buttons[index].get("type")).upper()
		sub_type = str(component.get("sub_type") or "").lower()
		if SUB_TYPES.get(kind) != sub_type:
			raise SendRejected(
				131009, f"Button at index {index} must be of type {kind.title().replace('_', '')}"
			)
		parameters = component.get("parameters") or []
		if kind == "URL" and not variables(buttons[index].get("url")):
			raise SendRejected(131009, f"Button at index {index} of type Url does not take parameters")
		if kind == "QUICK_REPLY":
			if len(parameters) != 1 or parameters[0].get("type") != "payload":
				raise SendRejected(131009, f"Button at index {index} of type QuickReply takes one payload")
			_check_payload(index, parameters[0].get("payload"))
		elif kind == "URL":
			if len(parameters) != 1 or parameters[0].get("type") != "text":
				raise SendRejected(131008, f"Button at index {index} of type Url requires a parameter")
			_check_value(f"buttons[{index}]", parameters[0].get("text"))
	for index, button in enumerate(buttons):
		if str(button.get("type")).upper() == "URL" and variables(button.get("url")) and index not in sent:
			raise SendRejected(131008, f"Button at index {index} of type Url requires a parameter")


def _check_payload(index: int, payload) -> None:
	if not isinstance(payload, str) or not payload:
		raise SendRejected(131008, f"Button at index {index} of type QuickReply is missing its payload")


def _index(component: dict) -> int:
	try:
		return int(component.get("index"))
	except (TypeError, ValueError):
		return -1


def _examples_problem(where: str, names: list[str], example: dict, named: bool) -> str | None:
	if not names:
		return None
	if named:
		if any(not re.fullmatch(r"[a-z0-9_]+", n) or n.isdigit() for n in names):
			return f"{where}: named parameters are lowercase letters, numbers and underscores"
		given = {
			p.get("param_name"): p.get("example")
			for p in example.get(f"{where}_text_named_params") or []
			if isinstance(p, dict)
		}
		if set(given) != set(names) or not all(given.values()):
			return f"{where}: every named parameter needs an example ({where}_text_named_params)"
		return None
	if names != [str(n) for n in range(1, len(names) + 1)]:
		return f"{where}: positional parameters are {{{{1}}}}, {{{{2}}}}… in order"
	given = example.get(f"{where}_text") or []
	row = given[0] if given and where == "body" else given
	if not isinstance(row, list) or len(row) != len(names) or not all(row):
		return f"{where}: every parameter needs an example ({where}_text)"
	return None


def _shown(template: dict, asked: list[str]) -> dict:
	shown = {f: template[f] for f in asked if f in template and not f.startswith("_")}
	if "quality_score" in asked:
		shown["quality_score"] = {"score": template["_quality"] or "UNKNOWN", "date": int(time.time())}
	shown["id"] = template["id"]
	return shown


def _cursor(index: int) -> str:
	return base64.b64encode(str(index).encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
	if not cursor:
		return 0
	try:
		return max(0, int(base64.b64decode(cursor.encode()).decode()))
	except ValueError:
		return 0


def _invalid_parameter(message: str) -> dict:
	return {
		"error": {
			"message": "Invalid parameter",
			"type": "OAuthException",
			"code": 100,
			"error_user_msg": message,
			"fbtrace_id": "FAKE-TRACE",
		}
	}


def _unknown_object(object_id: str) -> dict:
	return {
		"error": {
			"message": f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
			"loaded due to missing permissions, or does not support this operation.",
			"type": "GraphMethodException",
			"code": 100,
			"error_subcode": 33,
			"fbtrace_id": "FAKE-TRACE",
		}
	}
