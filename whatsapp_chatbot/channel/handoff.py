"""A person takes over a conversation from the bot, and gives it back.

Conversation status: Open (the bot answers) → Waiting (the contact asked for a person; the bot still
answers, the managers were notified) → Human (a manager took over: the bot stays silent for that
contact, incoming messages are stored and marked "Handled by Person") → Open again on hand back.
What the manager types goes out through the outbox like any reply, so Meta's 24-hour window (held
until the contact writes, channel/held.py) and the retry rules apply, and the result of the attempt
is returned to the Desk.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.translate import get_user_lang
from frappe.utils import now_datetime

from whatsapp_chatbot import permissions, texts
from whatsapp_chatbot.channel import outbox, outgoing
from whatsapp_chatbot.channel.contacts import CONTACT, CONVERSATION

MESSAGE = "Chatbot Message"
ACTIVE = ("Open", "Waiting", "Human")
MAX_REPLY_CHARS = 4096 * 4  # queue_text splits at 4096; more than a few parts is a mistake


def is_human(conversation) -> bool:
	return conversation.status == "Human"


def take_over(name: str) -> dict:
	conversation = frappe.get_doc(CONVERSATION, name, for_update=True)
	if conversation.status not in ACTIVE:
		frappe.throw(_("This conversation is closed; open the contact's current conversation instead"))
	conversation.db_set(
		{"status": "Human", "taken_over_by": frappe.session.user, "taken_over_at": now_datetime()},
		update_modified=True,
	)
	_notify_change(conversation)
	return _state(conversation)


def hand_back(name: str) -> dict:
	conversation = frappe.get_doc(CONVERSATION, name, for_update=True)
	if conversation.status != "Human":
		frappe.throw(_("Only a conversation taken over by a person can be handed back"))
	conversation.db_set(
		{"status": "Open", "taken_over_by": None, "taken_over_at": None, "person_requested_at": None},
		update_modified=True,
	)
	_notify_change(conversation)
	return _state(conversation)


def send_reply(name: str, text: str) -> list[dict]:
	"""Queue the manager's text for the contact and send it now; returns each part's outcome
	(status Sent, Queued for a retry, or Failed with Meta's reason)."""
	text = (text or "").strip()
	if not text:
		frappe.throw(_("Type a reply first"))
	if len(text) > MAX_REPLY_CHARS:
		frappe.throw(
			_("The reply is too long ({0} characters, at most {1})").format(len(text), MAX_REPLY_CHARS)
		)
	conversation = frappe.get_doc(CONVERSATION, name)
	if not is_human(conversation):
		frappe.throw(_("Take over the conversation before replying, so the bot and you don't both answer"))
	contact = frappe.get_doc(CONTACT, conversation.contact)
	# answering the contact's latest message keeps the reply on the channel it came from: a
	# terminal or playground contact is answered there, never through Meta
	latest = frappe.db.get_value(
		MESSAGE, {"conversation": name, "direction": "Incoming"}, "name", order_by="creation desc"
	)
	frappe.flags.whatsapp_chatbot_send_inline = True  # sent below, in this request
	try:
		names = outbox.queue_text(contact, text, conversation.name, answers=latest)
	finally:
		frappe.flags.whatsapp_chatbot_send_inline = False
	for part in names:
		frappe.db.set_value(MESSAGE, part, "user", frappe.session.user, update_modified=False)
	conversation.db_set("last_message_at", now_datetime())
	frappe.db.commit()  # the rows exist before Meta is called, as for every reply
	try:
		outbox.drain(contact.name)
	except Exception:
		frappe.db.rollback()
		frappe.log_error(
			title=f"WhatsApp manager reply in {name}", message=frappe.get_traceback(with_context=False)
		)
		outbox.enqueue_send(names[0], attempt="manager-fallback")
		frappe.db.commit()
	return [
		frappe.db.get_value(MESSAGE, part, ["name", "status", "error_code", "error_message"], as_dict=True)
		for part in names
	]


def request_person(turn) -> list[dict]:
	"""The contact asked for a person: acknowledge in their language, mark the conversation as
	waiting and notify the managers (once per request, not once per message)."""
	conversation = turn.conversation
	if conversation.status == "Open":
		conversation.db_set(
			{"status": "Waiting", "person_requested_at": now_datetime()}, update_modified=True
		)
		_notify_managers(conversation, turn.contact, turn.message)
		_notify_change(conversation)
	return [outgoing.text(texts.text("person_requested", turn.language))]


def _notify_managers(conversation, contact, message) -> None:
	# the subject and the content are HTML (the Desk's notification menu, the log, the email): the
	# profile name and the text are the sender's words, shown as written
	who = frappe.utils.escape_html(contact.profile_name or contact.wa_id or contact.name)
	for user in permissions.managers():
		# in the manager's language, not the contact's (the turn speaks the contact's)
		subject = _("WhatsApp: {0} asks to talk to a person", lang=get_user_lang(user)).format(who)
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"from_user": contact.user if contact.user and contact.user != user else None,
				"type": "Alert",
				"document_type": CONVERSATION,
				"document_name": conversation.name,
				"subject": subject,
				"email_content": frappe.utils.escape_html(message.text or ""),
			}
		).insert(ignore_permissions=True)


def _notify_change(conversation) -> None:
	# the open form (and the transcript) refresh their status without a reload
	frappe.publish_realtime(
		"whatsapp_chatbot_conversation",
		{"conversation": conversation.name, "status": conversation.status},
		doctype=CONVERSATION,
		docname=conversation.name,
		after_commit=True,
	)


def _state(conversation) -> dict:
	return {
		"status": conversation.status,
		"taken_over_by": conversation.taken_over_by,
		"taken_over_at": conversation.taken_over_at,
	}
