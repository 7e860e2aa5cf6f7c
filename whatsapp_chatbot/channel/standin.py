"""The stand-in channel: the terminal chat and the Desk's Playground in place of WhatsApp.

Same pipeline as a real message: the text (or a pressed button) is stored as an incoming Chatbot
Message on channel "Terminal", processed by the same job function as that contact, answered
through the same outbox, whose rows are marked Sent instead of posted to Meta (outbox.send_one).
Each row marked Sent is also published on the contact's realtime room, so the Playground shows
answers as they arrive, long commands included. Nothing here talks to Meta.

A User can chat without a WhatsApp number: their stand-in contact carries a business-scoped id
of the form "standin:<user>", which Meta never issues.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import contacts, inbox, log_rows

MESSAGE = "Chatbot Message"
CHANNEL = "Terminal"
USER_ID_PREFIX = "standin:"
REALTIME_EVENT = "whatsapp_chatbot_standin"


def contact_for_phone(phone: str):
	digits = "".join(ch for ch in phone or "" if ch.isdigit())
	if not digits:
		raise ValueError("--as takes a phone number with country code, e.g. 5215512345678")
	return contacts.find(digits, None) or frappe._dict(name=None, wa_id=digits, user_id=None, user=None)


def contact_for_user(user: str):
	"""The User's stand-in contact, made on first use."""
	if not frappe.db.exists("User", user):
		raise ValueError(f"there is no User {user}")
	user_id = USER_ID_PREFIX + user
	existing = contacts.find(None, user_id)
	if existing:
		return existing
	contact = frappe.get_doc(
		{
			"doctype": contacts.CONTACT,
			"user_id": user_id,
			"user": user,
			"profile_name": f"Test: {frappe.db.get_value('User', user, 'full_name') or user}",
			"enabled": 1,
		}
	)
	contact.flags.ignore_permissions = True
	contact.insert()
	return contact


def refusal(contact) -> str | None:
	"""Why the bot would refuse this contact, as on WhatsApp; None when it would answer."""
	if not contact or not contact.name or not contact.user:
		return _("not linked to a user yet: the bot refuses it, as on WhatsApp")
	if not contact.enabled:
		return _("this contact is disabled")
	if not permissions.user_may_chat(contact.user):
		return _("{user} is disabled or lacks the role {role}").format(
			user=contact.user, role=permissions.CHAT_ROLE
		)
	return None


def store(contact, text: str, interactive_id: str | None = None) -> str:
	"""One incoming message from `contact` on the stand-in channel; returns its name."""
	sender_key = contact.user_id or contact.wa_id
	doc = frappe.get_doc(
		{
			"doctype": MESSAGE,
			"direction": "Incoming",
			"status": "Received",
			"channel": CHANNEL,
			"wamid": f"terminal.{frappe.generate_hash(length=20)}",
			"message_type": "interactive" if interactive_id else "text",
			"sender_key": sender_key,
			"wa_id": contact.wa_id,
			"user_id": contact.user_id,
			"profile_name": contact.get("profile_name") or "Terminal",
			"text": text,
			"interactive_id": interactive_id,
			"meta_timestamp": now_datetime(),
		}
	)
	log_rows.log_insert(doc)
	return doc.name


def render(row) -> dict:
	"""An outgoing row as the stand-ins show it: text, the buttons/list choices, or a file."""
	body = json.loads(row.request_body or "{}")
	kind = body.get("type")
	shown = {"message": row.name, "kind": kind, "text": "", "choices": [], "file_url": None, "filename": None}
	if kind == "text":
		shown["text"] = body["text"]["body"]
	elif kind == "interactive":
		interactive = body["interactive"]
		shown["text"] = interactive["body"]["text"]
		action = interactive.get("action", {})
		shown["choices"] = [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])] + [
			(r["id"], r["title"]) for s in action.get("sections", []) for r in s["rows"]
		]
	elif kind in ("document", "image"):
		media = body[kind]
		shown["text"] = media.get("caption") or ""
		shown["file_url"] = frappe.db.get_value(
			"File", {"attached_to_doctype": MESSAGE, "attached_to_name": row.name}, "file_url"
		)
		shown["filename"] = media.get("filename") or (shown["file_url"] or "").rsplit("/", 1)[-1]
	elif kind == "template":
		shown["text"] = f"[template {body['template'].get('name')}]"
	if row.status == "Failed":
		shown["failed"] = row.error_message
	return shown


def answers_to(message: str) -> list[dict]:
	rows = frappe.get_all(
		MESSAGE,
		filters={"in_reply_to_message": message, "direction": "Outgoing"},
		fields=["name", "request_body", "status", "error_message"],
		order_by="creation asc",
	)
	return [render(row) for row in rows]


def delivered(row) -> None:
	"""Called by the outbox for each stand-in row it marks Sent: the Playground shows it live."""
	if not row.contact:
		return
	frappe.publish_realtime(
		REALTIME_EVENT,
		{"contact": row.contact, **render(row)},
		doctype=contacts.CONTACT,
		docname=row.contact,
		after_commit=True,
	)
