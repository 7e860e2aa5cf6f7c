"""What the app adds to Frappe's Notification form. Pure module: no frappe import.

"WhatsApp" joins the `channel` options (a Property Setter), and these Custom Fields show when it is
picked. Their names start with `whatsapp_` (Frappe's Notification has none; message_templates/
usage.py reads `whatsapp_template` to tell what uses a template). notifications/setup.py creates
and removes them; review/untrusted_fields.py lists the two read-only texts, which quote Meta's
template definitions.
"""

from __future__ import annotations

CHANNEL = "WhatsApp"
MODULE = "WhatsApp Chatbot"
PARAMETER_DOCTYPE = "Chatbot Notification Parameter"

SECTION = "whatsapp_section"
TEMPLATE = "whatsapp_template"
ATTACH_DOCUMENT = "whatsapp_attach_document"
COLUMN = "whatsapp_column"
LAST_ERROR = "whatsapp_last_error"
LAST_RESULT = "whatsapp_last_result"
PARAMETERS_SECTION = "whatsapp_parameters_section"
PARAMETERS = "whatsapp_parameters"

_SHOWN = f"eval:doc.channel=='{CHANNEL}'"

# in form order; each is inserted after the previous one, the first after Frappe's message examples
CUSTOM_FIELDS: list[dict] = [
	{
		"fieldname": SECTION,
		"fieldtype": "Section Break",
		"label": "WhatsApp",
		"depends_on": _SHOWN,
		"insert_after": "view_properties",
	},
	{
		"fieldname": TEMPLATE,
		"fieldtype": "Link",
		"options": "Chatbot Template",
		"label": "Template outside the 24-hour window",
		"description": "Inside the window the message above is sent as text. Outside it only an approved"
		" template may start a conversation: this one (in the contact's language when the template"
		" exists in it), or the Notification Template of WhatsApp Chatbot Settings.",
	},
	{
		"fieldname": ATTACH_DOCUMENT,
		"fieldtype": "Check",
		"label": "Send the document's PDF as the template's header",
		"description": "For a template with a document header; printed with the Print Format below"
		" (the DocType's default when empty).",
	},
	{"fieldname": COLUMN, "fieldtype": "Column Break"},
	{
		"fieldname": LAST_ERROR,
		"fieldtype": "Small Text",
		"label": "Last Error",
		"read_only": 1,
		"no_copy": 1,
		"depends_on": f"eval:doc.{LAST_ERROR}",
	},
	{
		"fieldname": LAST_RESULT,
		"fieldtype": "Small Text",
		"label": "Last Sent",
		"read_only": 1,
		"no_copy": 1,
		"depends_on": f"eval:doc.{LAST_RESULT}",
	},
	{
		"fieldname": PARAMETERS_SECTION,
		"fieldtype": "Section Break",
		"label": "WhatsApp Template Parameters",
		"depends_on": _SHOWN,
		"collapsible": 0,
	},
	{
		"fieldname": PARAMETERS,
		"fieldtype": "Table",
		"options": PARAMETER_DOCTYPE,
		"label": "Template Parameters",
		"description": "One Jinja expression per parameter of the template, e.g. Body · customer ·"
		" {{ doc.customer_name }}. Named parameters title, document and details fill themselves"
		" (the subject or the notification's name; the document's type and name; the message).",
	},
]


def with_positions(fields: list[dict] = CUSTOM_FIELDS) -> list[dict]:
	"""The fields with `insert_after` chained, so the form shows them in this order."""
	placed, previous = [], None
	for field in fields:
		field = {**field}
		field.setdefault("insert_after", previous)
		placed.append(field)
		previous = field["fieldname"]
	return placed


def fieldnames() -> list[str]:
	return [field["fieldname"] for field in CUSTOM_FIELDS]


def with_channel(options: str | None) -> str:
	"""`channel` options with WhatsApp added (once)."""
	values = [value for value in (options or "").split("\n") if value.strip()]
	if CHANNEL not in values:
		values.append(CHANNEL)
	return "\n".join(values)


def without_channel(options: str | None) -> str:
	return "\n".join(value for value in (options or "").split("\n") if value.strip() and value != CHANNEL)
