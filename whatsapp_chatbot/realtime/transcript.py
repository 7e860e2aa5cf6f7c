"""Tell open Desk forms that a conversation changed, through Frappe realtime.

The Chatbot Conversation form is subscribed to its document's room; on this event it fetches the
transcript again (api.desk.transcript), so nothing the event carries needs permission checks of its
own. Published after commit: the form must find what the event announces. Long-command progress
reaches the same room through realtime/progress.py, so bars move without a fetch.
"""

from __future__ import annotations

import frappe

EVENT = "whatsapp_chatbot_transcript"
CONVERSATION = "Chatbot Conversation"
# changes of these fields are visible in the transcript
MESSAGE_FIELDS = frozenset(
	{"status", "text", "transcript", "error_code", "error_message", "conversation", "request_body"}
)
COMMAND_FIELDS = frozenset({"status", "result", "error", "attachment", "preview", "message"})


def changed(conversation: str | None, doctype: str, name: str) -> None:
	if not conversation:
		return
	frappe.publish_realtime(
		EVENT,
		{"conversation": conversation, "doctype": doctype, "name": name},
		doctype=CONVERSATION,
		docname=conversation,
		after_commit=True,
	)
	# list views of conversations refresh their rows (last message, status), as Frappe's own
	# list_update does for saved documents (to the site's room of System Users)
	frappe.publish_realtime(
		"list_update",
		{"doctype": CONVERSATION, "name": conversation, "user": frappe.session.user},
		after_commit=True,
	)


def fields_of(fieldname, value=None) -> set[str]:
	"""The fields a Document.db_set call writes (a name, or a dict of names to values)."""
	return set(fieldname) if isinstance(fieldname, dict) else {fieldname}
