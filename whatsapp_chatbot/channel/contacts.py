"""Chatbot Contacts and Conversations: who wrote, and which conversation a message belongs to.

Contacts are created on their first message, by the processing job (under the sender's lock), so
the webhook request stays a pure insert.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_to_date, get_datetime, now_datetime

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel.log_rows import fit_to_columns
from whatsapp_chatbot.interpreter import language

CONTACT = "Chatbot Contact"
CONVERSATION = "Chatbot Conversation"
CONVERSATION_IDLE_HOURS = 24  # a new conversation starts after a day of silence


def from_message(message) -> frappe.model.document.Document:
	"""The contact who sent `message` (a Chatbot Message), created or refreshed from it."""
	contact = find(message.wa_id, message.user_id)
	if contact is None:
		contact = frappe.get_doc(
			{
				"doctype": CONTACT,
				"wa_id": message.wa_id,
				"user_id": message.user_id,
				"profile_name": message.profile_name or message.wa_id or message.user_id,
				"enabled": 1,
			}
		)
		fit_to_columns(contact)  # a profile name is the sender's to choose, of any length
		try:
			contact.insert(ignore_permissions=True)
		except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
			# The same person reached us under their number and their business id at once.
			contact = find(message.wa_id, message.user_id)
	changed = False
	for field in ("wa_id", "user_id", "profile_name"):
		value = message.get(field)
		if value and contact.get(field) != value and (field == "profile_name" or not contact.get(field)):
			contact.set(field, value)
			changed = True
	received = get_datetime(message.meta_timestamp or message.creation)
	newer = not contact.last_inbound_at or get_datetime(contact.last_inbound_at) < received
	if changed:
		if newer:
			contact.last_inbound_at = received
		fit_to_columns(contact)
		contact.save(ignore_permissions=True)
	elif newer:
		# every message moves it: bookkeeping, not an edit of the contact, so no save (its hooks
		# and a Version row on every turn) and no new `modified`
		contact.db_set("last_inbound_at", received, update_modified=False)
	return contact


def find(wa_id: str | None, user_id: str | None):
	for field, value in (("user_id", user_id), ("wa_id", wa_id)):
		if value:
			name = frappe.db.get_value(CONTACT, {field: value})
			if name:
				return frappe.get_doc(CONTACT, name)
	return None


def conversation_for(contact) -> frappe.model.document.Document:
	"""The contact's open conversation, or a new one after a day of silence."""
	name = frappe.db.get_value(
		CONVERSATION,
		{"contact": contact.name, "status": ("in", ("Open", "Waiting", "Human"))},
		"name",
		order_by="creation desc",
	)
	if name:
		conversation = frappe.get_doc(CONVERSATION, name)
		idle_since = add_to_date(now_datetime(), hours=-CONVERSATION_IDLE_HOURS)
		# a conversation a person took over stays theirs until they hand it back
		idle = (
			conversation.status != "Human"
			and conversation.last_message_at
			and get_datetime(conversation.last_message_at) < idle_since
		)
		# its history is another User's results: the contact's new User starts afresh (the
		# contact's on_update closes it already; this covers a User changed behind its back)
		if idle or conversation.user != contact.user:
			conversation.db_set("status", "Closed")
		else:
			return conversation
	return frappe.get_doc(
		{
			"doctype": CONVERSATION,
			"contact": contact.name,
			"user": contact.user,
			"status": "Open",
			"started_at": now_datetime(),
			"last_message_at": now_datetime(),
		}
	).insert(ignore_permissions=True)


def touch(conversation) -> None:
	"""A turn happened: the conversation list sorts it first. (Its message count follows each stored
	message, in Chatbot Message.)"""
	conversation.db_set("last_message_at", now_datetime(), update_modified=True)


def language_for(contact, text: str | None, settings=None) -> str:
	"""The language of this turn: the one the message is written in when that is clear (and the
	contact's language from now on, so a later voice note or photo is answered in it too), else
	the contact's usual one."""
	guessed = language.guess(text)
	current = texts.normalise_language(contact.language) if contact.language else None
	# the guesser tells Spanish, Portuguese and English apart: a contact set to another language
	# (French, say) keeps it, whatever a French sentence looks like to it
	if guessed.confident and (current is None or current in language.GUESSED):
		if current != guessed.language:
			contact.db_set("language", guessed.language)
		return guessed.language
	return language_of(contact, settings)


def language_of(contact, settings=None) -> str:
	"""The language to answer in: the contact's own setting, else what its number says (a Mexican
	number writes Spanish even when the ERPNext user kept the default English), else its user's,
	else the app's or site's default."""
	if contact.language:
		return texts.normalise_language(contact.language)
	guessed = texts.guess_language(contact.wa_id)
	if guessed:
		return guessed
	if contact.user:
		user_language = frappe.db.get_value("User", contact.user, "language")
		if user_language:
			return texts.normalise_language(user_language)
	default = (settings.default_language if settings else None) or frappe.db.get_default("lang")
	return texts.normalise_language(default)


def in_service_window(contact) -> bool:
	"""Meta lets us send free-form messages for 24 hours after the user's last message."""
	if not contact.last_inbound_at:
		return False
	return get_datetime(contact.last_inbound_at) > add_to_date(now_datetime(), hours=-24)
