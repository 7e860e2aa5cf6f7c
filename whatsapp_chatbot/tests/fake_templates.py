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
    for t in sample_set("_x1"): graph.templates.add_template("1234", **t)   # fake_template_samples.py

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
import threading
import time
from urllib.parse import parse_qs, urlencode

from whatsapp_chatbot.tests import fake_template_rules as rules

FIELDS = ("name", "parameter_format", "components", "language", "status", "category", "id")
PAUSE_TITLES = {1: "FIRST_PAUSE", 2: "SECOND_PAUSE"}


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
			return 400, rules.invalid_parameter("file_length and file_type are required")
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
			return 400, rules.invalid_parameter(f"file_length {expected[0]} but {len(raw)} bytes arrived")
		handle = f"4::{base64.b64encode(session.encode()).decode()}"
		with self._lock:
			self.handles[handle] = (raw, expected[1])
		return 200, {"h": handle}

	# -- Meta's rules (fake_template_rules.py) ------------------------------------------------

	def creation_problem(self, body: dict) -> dict | None:
		return rules.creation_problem(body, self.handles)

	def check_send(self, body: dict, media: dict) -> tuple[int, dict] | None:
		"""None when Meta would accept this template send; else (HTTP status, error body)."""
		if not self.strict or body.get("type") != "template":
			return None
		sent = body.get("template") or {}
		try:
			rules.check_send(
				self.get(sent.get("name"), (sent.get("language") or {}).get("code")), sent, media
			)
		except rules.SendRejected as rejected:
			return rejected.answer()
		return None

	def _must(self, name: str, language: str) -> dict:
		template = self.get(name, language)
		if template is None:
			raise KeyError(f"the stand-in holds no template {name} ({language})")
		return template

	def _new_id(self) -> str:
		return str(880000000000000 + next(self._ids))


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
