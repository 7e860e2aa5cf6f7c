"""A WhatsApp Notification's settings: its template (and that template in a contact's language),
its parameter rows, and the checks made when a manager saves the form.

Saving checks what can be known then (every row's Jinja compiles, the rows fit the template, a
PDF header matches the template's header) and refuses the form with what to change; the template's
status only warns, since Meta pauses and reinstates templates by itself. The job checks again,
against the template each contact will get, before anything is queued (notifications/fanout.py).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import escape_html

from whatsapp_chatbot.channel import template_send
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.notifications import fields, parameters

TEMPLATE = "Chatbot Template"


def base_template(notification, settings=None) -> str | None:
	"""The template chosen on the form, else the Settings' notification template."""
	return notification.get(fields.TEMPLATE) or (settings or get_settings()).notification_template or None


def rows(notification) -> dict[tuple[str, str], str]:
	"""{(component, parameter): Jinja expression} of the rows that have one."""
	return {
		parameters.key(row.component, row.parameter): row.value
		for row in notification.get(fields.PARAMETERS) or []
		if (row.value or "").strip()
	}


def label(template: str) -> str:
	doc = frappe.db.get_value(TEMPLATE, template, ["template_name", "language"], as_dict=True)
	return f"{doc.template_name} ({doc.language})" if doc else template


def variant(template: str, language: str | None) -> str:
	"""The same template (same name at Meta) in `language` when it exists and is approved there
	("es" matches "es_MX"), else `template` itself."""
	if not language:
		return template
	doc = frappe.db.get_value(TEMPLATE, template, ["template_name", "language"], as_dict=True)
	if not doc or (doc.language or "").split("_")[0].lower() == language.split("-")[0].lower():
		return template
	siblings = frappe.get_all(
		TEMPLATE,
		filters={"template_name": doc.template_name, "status": "APPROVED", "missing_at_meta": 0},
		fields=["name", "language"],
		order_by="language asc",
	)
	wanted = language.replace("-", "_").lower()
	for match in (
		lambda code: code == wanted,
		lambda code: code.split("_")[0] == wanted.split("_")[0],
	):
		for sibling in siblings:
			if match((sibling.language or "").lower()):
				return sibling.name
	return template


def validate(notification) -> None:
	"""The WhatsApp part of Notification.validate."""
	if not (notification.message or "").strip():
		frappe.throw(_("Write the message: a contact inside the 24-hour window gets it as text."))
	for (component, parameter), expression in rows(notification).items():
		_compiles(expression, _("the parameter {0} {1}").format(_(component), parameter))
	if notification.subject:
		_compiles(notification.subject, _("the subject"))
	template = base_template(notification)
	attach = notification.get(fields.ATTACH_DOCUMENT)
	if not template:
		if attach:
			frappe.throw(
				_("Pick a template with a document header: the PDF can only go as a template's header.")
			)
		return
	definition = template_send.definition(template)
	problems = parameters.mapping_problems(definition, rows(notification).keys(), label(template))
	problems += header_problems(definition, attach, label(template))
	if problems:
		frappe.throw(
			_("The template parameters do not fit {0}:").format(escape_html(label(template)))
			+ "<ul>"
			+ "".join(f"<li>{escape_html(problem)}</li>" for problem in problems)
			+ "</ul>",
			title=_("WhatsApp template"),
		)
	refused = template_send.refused_now(template)
	if refused:
		frappe.msgprint(
			escape_html(refused)
			+ "<br>"
			+ _("Until then contacts outside the 24-hour window get nothing from this notification."),
			title=_("WhatsApp template"),
			indicator="orange",
		)


def header_problems(definition, attach: bool, template: str) -> list[str]:
	kind = definition.media_header
	if attach and kind != "document":
		return [
			f"{template} has no document header: the PDF cannot go with it (untick the PDF or pick another template)"
		]
	if not attach and kind == "document":
		return [f"{template} has a document header: tick “Send the document's PDF as the template's header”"]
	if kind and kind != "document":
		return [f"{template} has an {kind} header, which a notification cannot fill: pick another template"]
	if definition.header_format == "location":
		return [f"{template} has a location header, which a notification cannot fill: pick another template"]
	return []


def _compiles(expression: str, what: str) -> None:
	from frappe.utils.jinja import get_jenv
	from jinja2 import TemplateSyntaxError

	try:
		get_jenv().from_string(expression)
	except TemplateSyntaxError as error:
		frappe.throw(
			_("The Jinja of {0} does not compile: {1} (line {2})").format(
				what, escape_html(error.message or str(error)), error.lineno
			),
			title=_("WhatsApp template"),
		)
