"""Desk endpoint of the WhatsApp channel on the Notification form: what a template needs."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.channel import template_send
from whatsapp_chatbot.notifications import parameters


@frappe.whitelist(methods=["GET"])
def template_parameters(template: str) -> dict:
	"""The rows the form fills in when a template is picked, what the template needs in words,
	and whether Meta would take it now. For those who may edit Notifications."""
	frappe.has_permission("Notification", "write", throw=True)
	frappe.has_permission("Chatbot Template", "read", template, throw=True)
	definition = template_send.definition(template)
	return {
		"rows": parameters.slots(definition),
		"summary": definition.summary(),
		"document_header": definition.media_header == "document",
		"refused": template_send.refused_now(template),
	}
