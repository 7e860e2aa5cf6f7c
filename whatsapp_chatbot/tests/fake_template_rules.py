"""Meta's rules for message templates, as the Graph stand-in applies them (tests/fake_templates.py):
what a template's creation must hold, and what a send of one must carry, each refusal with the
code and text Meta answers (see fake_templates.py's docstring for the list).

Pure module (standard library only)."""

from __future__ import annotations

import re

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


def creation_problem(body: dict, handles) -> dict | None:
	"""None when Meta would create this template; else its error body. `handles`: the upload
	handles Meta knows (a media header's example must be one)."""

	def bad(message: str) -> dict:
		return invalid_parameter(message)

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
		problem = _component_problem(component, named, handles)
		if problem:
			return bad(problem)
	return None


def _component_problem(component: dict, named: bool, handles) -> str | None:
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
			given = example.get("header_handle") or []
			if not given or given[0] not in handles:
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


def check_send(template: dict | None, sent: dict, media: dict) -> None:
	"""Raise SendRejected as Meta would answer this template send (`template`: the one held under
	its name and language, if any; `media`: the ids uploaded, id -> (content, mime type))."""
	name = sent.get("name")
	language = (sent.get("language") or {}).get("code")
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
		_check_media_header(fmt, by_type.get("header"), media)
	else:
		expected = variables((header or {}).get("text")) if fmt == "TEXT" else []
		_check_texts("header", expected, (by_type.get("header") or {}).get("parameters") or [], named)
	body_vars = variables(held["BODY"].get("text"))
	body_params = (by_type.get("body") or {}).get("parameters") or []
	values = _check_texts("body", body_vars, body_params, named)
	filled = VARIABLE.sub(lambda m: values.get(m.group(1), ""), held["BODY"].get("text") or "")
	if len(filled) > BODY_LIMIT:
		raise SendRejected(132005, f"body: the filled text has {len(filled)} characters, over {BODY_LIMIT}")
	_check_buttons((held.get("BUTTONS") or {}).get("buttons") or [], buttons_sent)


def _check_media_header(fmt: str, component: dict | None, media: dict) -> None:
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


def invalid_parameter(message: str) -> dict:
	return {
		"error": {
			"message": "Invalid parameter",
			"type": "OAuthException",
			"code": 100,
			"error_user_msg": message,
			"fbtrace_id": "FAKE-TRACE",
		}
	}
