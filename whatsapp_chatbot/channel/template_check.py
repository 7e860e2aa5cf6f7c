"""Whether parameters fit a Meta message template, before anything is queued. Pure module: no frappe
import. `template_message.check` is this module's `check`; the rules are documented there.

Limits (Meta's send-time parameter object, as mirrored by pywa's types/templates.py and
whatsapp-api-js' BodyParameter): a header text parameter fits the 60-character header; a body text
parameter is at most 1024 characters, 32768 when the body is the template's only component; a
quick-reply payload at most 256 characters; a URL button's full URL at most 2000; a copy-code
coupon at most 15 letters or digits. No parameter may be empty nor hold a line break, a tab or more
than four spaces in a row (Meta answers 132018 / 131008 otherwise).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
	from whatsapp_chatbot.channel.template_message import Definition

HEADER_TEXT_LIMIT = 60
BODY_PARAM_LIMIT = 1024
BODY_ONLY_PARAM_LIMIT = 32768
PAYLOAD_LIMIT = 256
URL_LIMIT = 2000
COUPON_LIMIT = 15
MEDIA_HEADERS = ("document", "image", "video")

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_SPACES = re.compile(r" {5,}")
_COUPON = re.compile(r"[A-Za-z0-9]+")


class TemplateParamsError(ValueError):
	"""Parameters that do not fit the template; `problems` holds one sentence each."""

	def __init__(self, problems: list[str]):
		super().__init__("; ".join(problems))
		self.problems = problems


def check(definition: Definition, params: dict | None, *, header_media: bool = False) -> list[str]:
	"""Every reason Meta would refuse these parameters (or the app cannot send them); [] when fine.
	`header_media` says a file for a document/image/video header is at hand."""
	params = params or {}
	if not isinstance(params, dict):
		return ["the parameters must be an object with body, header and buttons"]
	problems = [
		f"the template has a {kind} component, which this app cannot fill" for kind in definition.unsupported
	]
	unknown = sorted(set(params) - {"body", "header", "buttons"})
	if unknown:
		problems.append(f"unknown parameter parts: {', '.join(unknown)} (use body, header and buttons)")
	only_body = not (definition.header_format or definition.footer or definition.buttons)
	body_limit = BODY_ONLY_PARAM_LIMIT if only_body else BODY_PARAM_LIMIT
	problems += _check_text_params("body", definition, definition.body_params, params.get("body"), body_limit)

	header = params.get("header")
	if definition.header_format == "text":
		header_limit = HEADER_TEXT_LIMIT - len(VARIABLE.sub("", definition.header_text))
		problems += _check_text_params(
			"header", definition, definition.header_params, header, max(1, header_limit)
		)
	elif header not in (None, [], {}, ""):
		what = definition.header_format or "no"
		problems.append(f"the template has {what} header: it takes no header text parameter")
	if definition.media_header and not header_media:
		problems.append(
			f"the template's header is a {definition.media_header}: attach the file to send with it"
		)
	elif definition.header_format == "location":
		problems.append("the template's header is a location, which this app cannot fill")
	problems += _check_buttons(definition, params.get("buttons"))
	return problems


# -- checking -------------------------------------------------------------------------------------


def _check_text_params(part: str, definition: Definition, variables, given, limit: int) -> list[str]:
	if not variables:
		if given not in (None, [], {}, ""):
			return [f"the template's {part} takes no parameters, but some were given"]
		return []
	if part == "header" and isinstance(given, str):
		given = [given] if not definition.named else {variables[0]: given}
	problems: list[str] = []
	if definition.named:
		if not isinstance(given, dict):
			return [f"the {part} takes named parameters {_names(variables)}: give them as {{name: value}}"]
		missing = [name for name in variables if name not in given]
		unknown = [name for name in given if name not in variables]
		if missing:
			problems.append(
				f"the {part} is missing parameter{'s' if len(missing) > 1 else ''} {_names(missing)}"
			)
		if unknown:
			problems.append(
				f"the {part} has no parameter{'s' if len(unknown) > 1 else ''} {_names(unknown)} "
				f"(it takes {_names(variables)})"
			)
		items = [(f"{{{{{name}}}}}", given[name]) for name in variables if name in given]
	else:
		if isinstance(given, dict) or not isinstance(given, list | tuple):
			return [f"the {part} takes {len(variables)} positional parameters: give them as a list"]
		if len(given) != len(variables):
			problems.append(f"the {part} takes {len(variables)} parameters, {len(given)} were given")
		items = [(f"{{{{{index + 1}}}}}", value) for index, value in enumerate(given)]
	for label, value in items:
		problems += _check_value(f"{part} parameter {label}", value, limit)
	return problems


def _check_value(label: str, value, limit: int) -> list[str]:
	if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
		return [f"{label} must be text"]
	value = str(value)
	if not value.strip():
		return [f"{label} is empty: Meta refuses empty parameters"]
	problems = []
	if "\n" in value or "\r" in value or "\t" in value:
		problems.append(f"{label} contains a line break or tab, which Meta refuses in a parameter")
	if _SPACES.search(value):
		problems.append(f"{label} has more than four spaces in a row, which Meta refuses")
	if len(value) > limit:
		problems.append(f"{label} is {len(value)} characters, the limit is {limit}")
	return problems


def _check_buttons(definition: Definition, given) -> list[str]:
	if given in (None, {}, []):
		given = {}
	if not isinstance(given, dict):
		return ["button parameters must be given as {index: value}"]
	problems = []
	by_index = {button.index: button for button in definition.buttons}
	values = {}
	for key, value in given.items():
		try:
			values[int(key)] = value
		except (TypeError, ValueError):
			problems.append(f"button {key!r} is not a button index (0, 1, …)")
	for index, value in sorted(values.items()):
		button = by_index.get(index)
		if button is None:
			problems.append(f"the template has no button {index} (it has {len(definition.buttons)})")
		elif not button.takes_parameter:
			problems.append(f"button {index} “{button.text}” is static: it takes no parameter")
		elif button.sub_type == "quick_reply":
			problems += _check_payload(f"button {index} payload", value)
		elif button.sub_type == "copy_code":
			problems += _check_value(f"button {index} code", value, COUPON_LIMIT)
			if isinstance(value, str | int) and str(value).strip() and not _COUPON.fullmatch(str(value)):
				problems.append(f"button {index} code must be letters and digits only")
		else:
			problems += _check_value(
				f"button {index} URL suffix", value, max(1, URL_LIMIT - len(button.url_prefix))
			)
	for button in definition.buttons:
		if button.needs_parameter and button.index not in values:
			what = "URL suffix" if button.dynamic else "code to copy"
			problems.append(f"button {button.index} “{button.text}” needs its {what}")
	return problems


def _check_payload(label: str, value) -> list[str]:
	if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
		return [f"{label} is empty"]
	if len(str(value)) > PAYLOAD_LIMIT:
		return [f"{label} is {len(str(value))} characters, the limit is {PAYLOAD_LIMIT}"]
	return []


def _names(names) -> str:
	return ", ".join("{{" + str(name) + "}}" for name in names)
