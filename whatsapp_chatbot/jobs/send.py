"""RQ entry point: send the queued outgoing messages of one contact (see channel/outbox.py)."""

from __future__ import annotations

import frappe

from whatsapp_chatbot import session_user
from whatsapp_chatbot.channel import outbox


def send_queued(message: str) -> None:
	session_user.switch_user("Administrator")
	contact = frappe.db.get_value("Chatbot Message", message, "contact")
	if contact:
		outbox.drain(contact)
