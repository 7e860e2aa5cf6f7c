"""What a Meta message template needs, whether given parameters fit it, and the Graph body that sends
it. Pure module: no frappe import.

A template is read from the components Meta returns when templates are listed (PROTOCOLS.md A8): a
HEADER (TEXT with at most one variable, or DOCUMENT / IMAGE / VIDEO / LOCATION), a BODY with
`{{1}}`… (positional) or `{{name}}`… (named) variables, a FOOTER and BUTTONS. Parameters are checked
here, before anything is queued, so a send Meta would refuse (132000 count mismatch, 132008 bad
value, 132012 format mismatch, 132018 newline in a parameter…) is refused with a sentence that says
what to change, and costs no Graph call (the rules and Meta's limits: channel/template_check.py,
whose `check` is this module's).

Parameters, as callers give them:
	{"body": ["v1", "v2"] (positional) or {"name": "v"} (named),
	 "header": ["v"] / {"name": "v"} / "v" (a text header's one variable),
	 "buttons": {index: "payload or URL suffix or coupon code"}}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whatsapp_chatbot.channel.template_check import (
	BODY_ONLY_PARAM_LIMIT,
	BODY_PARAM_LIMIT,
	COUPON_LIMIT,
	HEADER_TEXT_LIMIT,
	MEDIA_HEADERS,
	PAYLOAD_LIMIT,
	URL_LIMIT,
	VARIABLE,
	TemplateParamsError,
	_check_value,  # what a single value may be (notifications check one line with it)
	check,
)

__all__ = [
	"BODY_ONLY_PARAM_LIMIT",
	"BODY_PARAM_LIMIT",
	"COUPON_LIMIT",
	"HEADER_TEXT_LIMIT",
	"MEDIA_HEADERS",
	"PAYLOAD_LIMIT",
	"URL_LIMIT",
	"Button",
	"Definition",
	"TemplateParamsError",
	"build",
	"check",
	"header_media",
	"preview",
	"preview_text",
	"set_header_media",
]


@dataclass(frozen=True)
class Button:
	index: int
	sub_type: str  # quick_reply, url, phone_number, copy_code, flow, otp…
	text: str = ""
	url: str | None = None
	example: str | None = None  # of its parameter: a payload, URL suffix or coupon code

	@property
	def dynamic(self) -> bool:
		"""A URL button whose URL ends in a variable takes its suffix as a parameter."""
		return self.sub_type == "url" and bool(self.url and VARIABLE.search(self.url))

	@property
	def takes_parameter(self) -> bool:
		return self.sub_type in ("quick_reply", "copy_code") or self.dynamic

	@property
	def needs_parameter(self) -> bool:
		"""A quick reply without a payload still works (Meta returns its text); a variable URL
		or a coupon to copy cannot go out without one."""
		return self.sub_type == "copy_code" or self.dynamic

	@property
	def url_prefix(self) -> str:
		return VARIABLE.sub("", self.url or "")


@dataclass(frozen=True)
class Definition:
	parameter_format: str = "Positional"  # or "Named"
	body: str = ""
	body_params: tuple[str, ...] = ()  # "1", "2"… or the names, in order of appearance
	body_examples: dict = field(default_factory=dict)
	header_format: str | None = None  # None, "text", "document", "image", "video", "location"
	header_text: str = ""
	header_params: tuple[str, ...] = ()
	header_examples: dict = field(default_factory=dict)
	footer: str = ""
	buttons: tuple[Button, ...] = ()
	unsupported: tuple[str, ...] = ()  # components this app cannot fill (carousel, offer…)

	@property
	def named(self) -> bool:
		return self.parameter_format == "Named"

	@property
	def media_header(self) -> str | None:
		return self.header_format if self.header_format in MEDIA_HEADERS else None

	@classmethod
	def from_components(cls, components: list | None, parameter_format: str | None = None) -> Definition:
		named = (parameter_format or "").strip().lower() == "named"
		values: dict = {"parameter_format": "Named" if named else "Positional"}
		buttons: list[Button] = []
		unsupported: list[str] = []
		for component in components or []:
			if not isinstance(component, dict):
				continue
			kind = str(component.get("type") or "").lower()
			example = component.get("example") or {}
			if kind == "body":
				values["body"] = str(component.get("text") or "")
				values["body_params"] = _variables(values["body"], named)
				values["body_examples"] = _examples(example, "body_text", values["body_params"], named)
			elif kind == "header":
				header_format = str(component.get("format") or "text").lower()
				values["header_format"] = header_format
				if header_format == "text":
					values["header_text"] = str(component.get("text") or "")
					values["header_params"] = _variables(values["header_text"], named)
					values["header_examples"] = _examples(
						example, "header_text", values["header_params"], named
					)
			elif kind == "footer":
				values["footer"] = str(component.get("text") or "")
			elif kind == "buttons":
				for button in component.get("buttons") or []:
					buttons.append(_button(len(buttons), button))
			elif kind:
				unsupported.append(kind)
		return cls(**values, buttons=tuple(buttons), unsupported=tuple(unsupported))

	def summary(self) -> str:
		"""What a sender must give, one line per part, for the template's `parameters` field."""
		style = "named" if self.named else "positional"
		described = []
		if self.header_format == "text":
			described.append(
				f"Header: text, {_describe(self.header_params, style)}"
				if self.header_params
				else "Header: text, no parameter"
			)
		elif self.header_format:
			note = " (the file is uploaded when sent)" if self.media_header else " (not sent by this app)"
			described.append(f"Header: {self.header_format}{note}")
		described.append(
			f"Body: {_describe(self.body_params, style)}" if self.body_params else "Body: no parameter"
		)
		for button in self.buttons:
			label = f"Button {button.index} “{button.text}” ({button.sub_type.replace('_', ' ')})"
			if button.sub_type == "quick_reply":
				described.append(f"{label}: payload, optional")
			elif button.dynamic:
				described.append(f"{label}: URL suffix after {button.url_prefix}, required")
			elif button.sub_type == "copy_code":
				described.append(f"{label}: the code to copy, required")
			else:
				described.append(f"{label}: no parameter")
		for kind in self.unsupported:
			described.append(f"Component {kind}: not supported by this app")
		return "\n".join(described)


def build(
	name: str,
	language: str,
	definition: Definition,
	params: dict | None = None,
	header_media_id: str | None = None,
	header_filename: str | None = None,
) -> dict:
	"""The `/messages` body ({"type": "template", …}) for these parameters, which must pass
	`check`. A media header without an id yet (uploaded by the send job) gets it from
	`set_header_media`."""
	params = params or {}
	problems = check(definition, params, header_media=True)
	if problems:
		raise TemplateParamsError(problems)
	components = []
	if definition.header_format == "text" and definition.header_params:
		values = _ordered(definition.header_params, params.get("header"), definition.named)
		components.append(
			{"type": "header", "parameters": _text_params(definition.header_params, values, definition.named)}
		)
	elif definition.media_header:
		kind = definition.media_header
		media = {"id": header_media_id} if header_media_id else {}
		if kind == "document" and header_filename:
			media["filename"] = header_filename
		components.append({"type": "header", "parameters": [{"type": kind, kind: media}]})
	if definition.body_params:
		values = _ordered(definition.body_params, params.get("body"), definition.named)
		components.append(
			{"type": "body", "parameters": _text_params(definition.body_params, values, definition.named)}
		)
	given = _button_values(params.get("buttons"))
	for button in definition.buttons:
		if button.index not in given:
			continue
		value = str(given[button.index])
		parameter = (
			{"type": "payload", "payload": value}
			if button.sub_type == "quick_reply"
			else {"type": "coupon_code", "coupon_code": value}
			if button.sub_type == "copy_code"
			else {"type": "text", "text": value}
		)
		components.append(
			{
				"type": "button",
				"sub_type": button.sub_type,
				"index": str(button.index),
				"parameters": [parameter],
			}
		)
	template = {"name": name, "language": {"code": language}}
	if components:
		template["components"] = components
	return {"type": "template", "template": template}


def header_media(body: dict) -> tuple[str, dict] | None:
	"""(kind, media object) of a built body's document/image/video header, else None."""
	for component in (body.get("template") or {}).get("components") or []:
		if component.get("type") == "header":
			for parameter in component.get("parameters") or []:
				kind = parameter.get("type")
				if kind in MEDIA_HEADERS:
					return kind, parameter.setdefault(kind, {})
	return None


def set_header_media(body: dict, media_id: str) -> bool:
	"""Put an uploaded media id into a built body's media header; False when it has none."""
	found = header_media(body)
	if not found:
		return False
	found[1]["id"] = media_id
	return True


def preview(definition: Definition, params: dict | None = None) -> dict:
	"""The template's text filled with `params`, or with Meta's example values where none are
	given (a variable with neither stays as `{{name}}`): {header, body, footer, buttons}."""
	params = params if isinstance(params, dict) else {}
	header = ""
	if definition.header_format == "text":
		header = _fill(
			definition.header_text,
			definition.header_params,
			params.get("header"),
			definition.header_examples,
			definition.named,
		)
	elif definition.header_format:
		header = f"[{definition.header_format}]"
	body = _fill(
		definition.body,
		definition.body_params,
		params.get("body"),
		definition.body_examples,
		definition.named,
	)
	given = _button_values(params.get("buttons"))
	buttons = []
	for button in definition.buttons:
		label = button.text or button.sub_type
		if button.dynamic:
			suffix = given.get(button.index, button.example or "")
			label = f"{label} ({button.url_prefix}{suffix})"
		buttons.append(label)
	return {"header": header, "body": body, "footer": definition.footer, "buttons": buttons}


def preview_text(definition: Definition, params: dict | None = None) -> str:
	"""The preview as one readable text (the Chatbot Message's `text`)."""
	shown = preview(definition, params)
	parts = [shown["header"], shown["body"], shown["footer"]]
	if shown["buttons"]:
		parts.append(" | ".join(f"[{label}]" for label in shown["buttons"]))
	return "\n".join(part for part in parts if part)


# -- reading Meta's components ------------------------------------------------------------------


def _variables(text: str, named: bool) -> tuple[str, ...]:
	found: list[str] = []
	for match in VARIABLE.finditer(text or ""):
		variable = match.group(1)
		if variable not in found and (named or variable.isdigit()):
			found.append(variable)
	if not named:
		found.sort(key=int)
	return tuple(found)


def _examples(example: dict, key: str, variables: tuple[str, ...], named: bool) -> dict:
	"""Meta's example values by variable: `body_text: [["a", "b"]]`, `header_text: ["a"]`, or
	`<key>_named_params: [{"param_name", "example"}]`."""
	if not isinstance(example, dict):
		return {}
	if named:
		return {
			str(item.get("param_name")): str(item.get("example") or "")
			for item in example.get(f"{key}_named_params") or []
			if isinstance(item, dict) and item.get("param_name")
		}
	values = example.get(key) or []
	if values and isinstance(values[0], list):
		values = values[0]
	return {variable: str(value) for variable, value in zip(variables, values, strict=False)}


def _button(index: int, button: dict) -> Button:
	sub_type = str(button.get("type") or "").lower()
	example = button.get("example")
	if isinstance(example, list):
		example = example[0] if example else None
	url = button.get("url")
	if sub_type == "url" and example and url:
		prefix = VARIABLE.sub("", url)
		example = str(example)[len(prefix) :] if str(example).startswith(prefix) else str(example)
	return Button(
		index=index,
		sub_type=sub_type,
		text=str(button.get("text") or ""),
		url=url,
		example=str(example) if example is not None else None,
	)


def _describe(variables: tuple[str, ...], style: str) -> str:
	shown = ", ".join("{{" + variable + "}}" for variable in variables)
	return f"{len(variables)} {style} parameter{'s' if len(variables) != 1 else ''} ({shown})"


# -- building ------------------------------------------------------------------------------------


def _ordered(variables: tuple[str, ...], given, named: bool) -> list[str]:
	if isinstance(given, str):
		return [given]
	if named:
		return [str(given[name]) for name in variables]
	return [str(value) for value in given]


def _text_params(variables: tuple[str, ...], values: list[str], named: bool) -> list[dict]:
	parameters = []
	for variable, value in zip(variables, values, strict=False):
		parameter = {"type": "text", "text": value}
		if named:
			parameter["parameter_name"] = variable
		parameters.append(parameter)
	return parameters


def _button_values(given) -> dict[int, str]:
	values = {}
	for key, value in (given or {}).items() if isinstance(given, dict) else ():
		try:
			values[int(key)] = str(value)
		except (TypeError, ValueError):
			continue
	return values


def _fill(text: str, variables, given, examples: dict, named: bool) -> str:
	values = dict(examples)
	if isinstance(given, str) and variables:
		values[variables[0]] = given
	elif named and isinstance(given, dict):
		values.update({str(k): str(v) for k, v in given.items()})
	elif not named and isinstance(given, list | tuple):
		values.update({str(i + 1): str(v) for i, v in enumerate(given)})

	def substitute(match):
		variable = match.group(1)
		return values.get(variable) or match.group(0)

	return VARIABLE.sub(substitute, text or "")
