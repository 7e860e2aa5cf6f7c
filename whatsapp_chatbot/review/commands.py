"""Desk actions on a recorded Chatbot Command: Re-run as the original user, Cancel queued/running work.

Re-run goes through the same dispatch as WhatsApp (executors/dispatch.py), as the contact's User,
in the contact's current conversation, and whatever it answers goes to the contact through the
outbox (24-hour window and retries as usual):
- a write becomes a NEW preview with Confirm / Cancel on WhatsApp: it runs only when the contact
  confirms there, never on the manager's click;
- a read runs now as that User; its answer is sent to the contact (who asked for it in the first
  place) and is recorded on the new command, which the Desk opens;
- a long command is queued again ("working on it" to the contact), progress as usual.
The manager's click never widens anyone's permissions: the command must still be allowed for that
User, its arguments must still validate, and the contact must still be allowed to chat.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from whatsapp_chatbot import i18n, permissions, texts
from whatsapp_chatbot.channel import contacts, outbox
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.executors import long as long_commands

COMMAND = "Chatbot Command"
MESSAGE = "Chatbot Message"
ACTIVE = ("Queued", "Running")


def rerun(name: str) -> dict:
	from whatsapp_chatbot import pipeline
	from whatsapp_chatbot.executors import dispatch
	from whatsapp_chatbot.tools import catalogue

	original = frappe.get_doc(COMMAND, name)
	contact = frappe.get_doc("Chatbot Contact", original.contact) if original.contact else None
	if not permissions.contact_may_chat(contact):
		frappe.throw(_("This command's contact can no longer use the chatbot, so it cannot run again"))
	if not original.message:
		frappe.throw(_("This command has no message to answer, so it cannot run again"))
	command = catalogue.find(original.command, contact.user, contact.name)
	if command is None:
		frappe.throw(_("{0} is no longer allowed for {1}").format(original.command, contact.user))
	arguments, errors = command.check(json.loads(original.arguments or "{}"))
	if errors:
		frappe.throw(_("The recorded arguments are no longer valid: {0}").format("; ".join(errors)))

	settings = get_settings()
	message = frappe.get_doc(MESSAGE, original.message)
	conversation = contacts.conversation_for(contact)
	language = contacts.language_of(contact, settings)
	turn = pipeline.Turn(message, contact, conversation, language, settings)
	started = now_datetime()
	with i18n.speaking(language):  # the replies go to the contact: in their language, not the Desk's
		dispatched = dispatch.dispatch(turn, command, arguments)
		replies = dispatched.user_replies(language)
	run = frappe.generate_hash(length=8)
	outbox.queue_replies(contact, replies, conversation.name, message.name, f"{original.name}:rerun:{run}")
	new = dispatched.doc or _newest_command(contact.name, started)
	original.add_comment(
		"Info",
		_("Re-run by {0} as {1}: {2}").format(frappe.session.user, contact.user, new.name if new else "-"),
	)
	return {
		"command": new.name if new else None,
		"status": new.status if new else None,
		"kind": command.kind,
		"sent": len(replies),
	}


def cancel(name: str) -> str:
	"""Stop queued or running work: a queued command is cancelled at once (and the contact told);
	a running one is asked to stop and stops at its next check (the job tells the contact)."""
	doc = frappe.get_doc(COMMAND, name, for_update=True)
	if doc.status not in ACTIVE:
		frappe.throw(_("Only queued or running commands can be cancelled"))
	if long_commands.request_cancel(doc):
		contact = frappe.get_doc("Chatbot Contact", doc.contact) if doc.contact else None
		if contact:
			outbox.queue_text(
				contact,
				texts.text("long_cancelled", contacts.language_of(contact, get_settings()), ref=doc.name),
				doc.conversation,
				answers=doc.message,
				key=f"{doc.name}:result",  # the job's own key: the contact hears it once
			)
	doc.add_comment("Info", _("Cancel requested from the Desk by {0}").format(frappe.session.user))
	return doc.status


def _newest_command(contact: str, since):
	name = frappe.db.get_value(
		COMMAND, {"contact": contact, "creation": (">=", since)}, "name", order_by="creation desc"
	)
	return frappe.get_doc(COMMAND, name) if name else None
