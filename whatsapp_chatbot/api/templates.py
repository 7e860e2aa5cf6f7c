"""The Chatbot Template form's endpoints: its preview and Send Test. Manager only."""

from __future__ import annotations

import mimetypes
import re

import frappe
from frappe import _

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import outbox
from whatsapp_chatbot.channel import template_message as tm
from whatsapp_chatbot.files import file_bytes
from whatsapp_chatbot.message_templates import standard

TEMPLATE = "Chatbot Template"
VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@frappe.whitelist(methods=["GET", "POST"])
def preview(template: str, params: str | dict | None = None) -> dict:
	"""The template filled with `params` (Meta's example values where none are given), and the
	parameters a sender gives, for the Send Test dialog."""
	permissions.require_manager()
	doc = frappe.get_doc(TEMPLATE, template)
	doc.check_permission("read")
	definition = doc.definition()
	params = frappe.parse_json(params) if isinstance(params, str) else params
	given = params if isinstance(params, dict) else None
	return {
		"preview": tm.preview(definition, given),
		"header": _segments(definition.header_text, _values(definition, "header", given))
		if definition.header_format == "text"
		else [],
		"body": _segments(definition.body, _values(definition, "body", given)),
		"fields": _fields(definition),
		"media_header": definition.media_header,
		"summary": definition.summary(),
	}


@frappe.whitelist(methods=["POST"])
def send_test(template: str, contact: str, params: str | dict | None = None, file: str | None = None) -> dict:
	"""Queue the template to a contact as a test (through the outbox, like any message); a media
	header sends the chosen File, else the app's sample PDF. Returns the queued Chatbot Message."""
	permissions.require_manager()
	doc = frappe.get_doc(TEMPLATE, template)
	doc.check_permission("read")
	contact_doc = frappe.get_doc("Chatbot Contact", contact)
	contact_doc.check_permission("read")
	params = frappe.parse_json(params) if isinstance(params, str) else params
	if params is not None and not isinstance(params, dict):
		frappe.throw(_("The parameters must be an object with body, header and buttons"))
	document = _document(file) if doc.definition().media_header else None
	name = outbox.queue_template(contact_doc, template, params or None, document=document)
	return {"message": name}


def _values(definition: tm.Definition, part: str, given: dict | None) -> dict[str, str]:
	"""Meta's examples by variable, overridden by the parameters given (a list or a mapping)."""
	values = dict(definition.header_examples if part == "header" else definition.body_examples)
	chosen = (given or {}).get(part)
	if isinstance(chosen, dict):
		values.update({str(k): str(v) for k, v in chosen.items()})
	elif isinstance(chosen, list):
		values.update({str(i + 1): str(v) for i, v in enumerate(chosen)})
	return values


def _segments(text: str, values: dict[str, str]) -> list[dict]:
	"""The text cut at its variables, for the preview to mark what a sender fills in:
	[{"text"}, {"text", "variable"}…], a variable shown by its value or else as {{name}}."""
	segments, start = [], 0
	for match in VARIABLE.finditer(text or ""):
		if match.start() > start:
			segments.append({"text": text[start : match.start()]})
		variable = match.group(1)
		segments.append({"text": values.get(variable) or match.group(0), "variable": variable})
		start = match.end()
	if start < len(text or ""):
		segments.append({"text": text[start:]})
	return segments


def _fields(definition: tm.Definition) -> list[dict]:
	"""One input per parameter: where it goes, its key, a label and Meta's example."""
	fields = []
	for part, variables, examples in (
		("header", definition.header_params, definition.header_examples),
		("body", definition.body_params, definition.body_examples),
	):
		for variable in variables:
			fields.append(
				{
					"part": part,
					"key": variable,
					"label": f"{part.title()} {{{{{variable}}}}}",
					"example": examples.get(variable, ""),
				}
			)
	for button in definition.buttons:
		if button.takes_parameter:
			fields.append(
				{
					"part": "buttons",
					"key": str(button.index),
					"label": f"Button {button.index} ({button.text or button.sub_type})",
					"example": button.example or ("test" if button.sub_type == "quick_reply" else ""),
					"optional": not button.needs_parameter,
				}
			)
	return fields


def _document(file: str | None) -> tuple[str, bytes, str]:
	if not file:
		return standard.SAMPLE_PDF_NAME, standard.SAMPLE_PDF, "application/pdf"
	doc = frappe.get_doc("File", {"file_url": file}) if file.startswith("/") else frappe.get_doc("File", file)
	doc.check_permission("read")
	filename = doc.file_name or "document"
	mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
	return filename, file_bytes(doc), mime
