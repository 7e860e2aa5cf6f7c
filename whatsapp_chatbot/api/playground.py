"""The Playground page (/app/chatbot-playground): a manager chats with the bot as a contact or as a
User, through the stand-in channel (channel/standin.py). Messages are stored and processed by the
same job as WhatsApp's; answers arrive over realtime. Nothing is sent to Meta."""

from __future__ import annotations

import frappe
from frappe import _

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import contacts, inbox, standin

HISTORY = 30
MAX_TEXT = 4096


@frappe.whitelist(methods=["POST"])
def start(contact: str | None = None, user: str | None = None) -> dict:
	"""Pick a contact, or a User (whose test contact is made); returns it with its recent chat."""
	permissions.require_manager()
	if bool(contact) == bool(user):
		frappe.throw(_("Pick a contact or a user"))
	if user:
		_check_may_try_as(user)
		doc = standin.contact_for_user(user)
	else:
		doc = frappe.get_doc(contacts.CONTACT, contact)
		_check_may_try_as(doc.user)
	return {
		"contact": doc.name,
		"title": doc.profile_name or doc.wa_id or doc.user_id,
		"user": doc.user,
		"refusal": standin.refusal(doc),
		"history": history(doc.name),
	}


@frappe.whitelist(methods=["POST"])
def send(contact: str, text: str | None = None, choice_id: str | None = None) -> dict:
	"""Store what the manager typed (or the button they pressed) and queue it for the bot."""
	permissions.require_manager()
	doc = frappe.get_doc(contacts.CONTACT, contact)
	_check_may_try_as(doc.user)
	text = (text or "").strip()
	if not text and not choice_id:
		frappe.throw(_("Type a message first"))
	if len(text) > MAX_TEXT:
		frappe.throw(_("A message has at most {0} characters").format(MAX_TEXT))
	name = standin.store(doc, text, interactive_id=choice_id or None)
	wamid = frappe.db.get_value(standin.MESSAGE, name, "wamid")
	inbox.enqueue_processing(name, wamid)  # the processing job a webhook message gets
	return {"message": name, "text": text}


def history(contact: str) -> list[dict]:
	rows = frappe.get_all(
		standin.MESSAGE,
		filters={"contact": contact},
		fields=["name", "direction", "text", "request_body", "status", "error_message", "creation"],
		order_by="creation desc",
		limit=HISTORY,
	)
	shown = []
	for row in reversed(rows):
		if row.direction == "Incoming":
			shown.append({"message": row.name, "incoming": 1, "text": row.text or ""})
		else:
			shown.append(standin.render(row))
	return shown


def _check_may_try_as(user: str | None) -> None:
	if user and not permissions.may_try_as(user):
		frappe.throw(
			_(
				"Only a System Manager may chat as another user ({0}); pick yourself or your own contact"
			).format(user),
			frappe.PermissionError,
		)
