"""Desk actions for WhatsApp Chatbot Managers."""

from __future__ import annotations

import frappe
from frappe import _

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import inbox, outbox

MESSAGE = "Chatbot Message"


@frappe.whitelist(methods=["POST"])
def reprocess(message: str) -> str:
	"""Run a Failed or Ignored incoming message through the pipeline again, or resend a Failed
	outgoing one. Returns the new status."""
	permissions.require_manager()
	doc = frappe.get_doc(MESSAGE, message)
	if doc.status not in ("Failed", "Ignored"):
		frappe.throw(_("Only Failed or Ignored messages can be run again"))
	if doc.direction == "Incoming":
		doc.db_set({"status": "Received", "attempts": 0, "error_message": None, "processed_at": None})
		inbox.enqueue_processing(doc.name, doc.wamid, attempt=f"manual{frappe.generate_hash(length=6)}")
	else:
		doc.db_set({"status": "Queued", "attempts": 0, "next_attempt_at": None})
		outbox.enqueue_send(doc.name, attempt=f"manual{frappe.generate_hash(length=6)}")
	return doc.status
