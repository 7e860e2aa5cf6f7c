"""Desk actions for WhatsApp Chatbot Managers."""

from __future__ import annotations

import frappe
from frappe import _

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import handoff, inbox, outbox

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


# -- a person takes over (channel/handoff.py) ---------------------------------------------------


@frappe.whitelist(methods=["POST"])
def take_over(conversation: str) -> dict:
	"""The bot stops answering this conversation's contact; the manager answers from the Desk."""
	permissions.require_manager()
	return handoff.take_over(conversation)


@frappe.whitelist(methods=["POST"])
def hand_back(conversation: str) -> dict:
	"""The bot answers the contact again."""
	permissions.require_manager()
	return handoff.hand_back(conversation)


@frappe.whitelist(methods=["POST"])
def send_reply(conversation: str, text: str) -> list[dict]:
	"""Send the manager's text to the contact now; returns each part's status and Meta's error."""
	permissions.require_manager()
	return handoff.send_reply(conversation, text)


# -- review: transcript, commands, workspace figures (review/) -----------------------------------


@frappe.whitelist()
def transcript(conversation: str, limit: int = 200) -> dict:
	"""The conversation's messages and commands as the form's transcript shows them."""
	from whatsapp_chatbot.review.transcript import transcript as build

	permissions.require_manager()
	return build(conversation, min(max(int(limit), 1), 1000))


@frappe.whitelist(methods=["POST"])
def rerun_command(command: str) -> dict:
	"""Run a recorded command again as its original user (a write asks the contact to confirm)."""
	from whatsapp_chatbot.review import commands

	permissions.require_manager()
	return commands.rerun(command)


@frappe.whitelist(methods=["POST"])
def cancel_command(command: str) -> str:
	"""Stop a queued or running command; returns its status."""
	from whatsapp_chatbot.review import commands

	permissions.require_manager()
	return commands.cancel(command)


@frappe.whitelist()
def failures_today(filters=None) -> int:
	"""Number card: failed messages and commands today."""
	from whatsapp_chatbot.review import usage

	permissions.require_manager()
	return usage.failures_today()


@frappe.whitelist()
def tokens_this_month(filters=None) -> int:
	"""Number card: model tokens (prompt + completion) this month."""
	from whatsapp_chatbot.review import usage

	permissions.require_manager()
	return usage.tokens_this_month()
