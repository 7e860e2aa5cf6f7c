"""A conversation as the Desk shows it: messages and commands on one timeline (see bubbles.py)."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.review import bubbles

MESSAGE = "Chatbot Message"
COMMAND = "Chatbot Command"
MESSAGE_FIELDS = [
	"name",
	"creation",
	"direction",
	"message_type",
	"status",
	"channel",
	"text",
	"transcript",
	"interactive_id",
	"media_id",
	"media_mime_type",
	"media_filename",
	"is_voice",
	"latitude",
	"longitude",
	"error_code",
	"error_message",
	"request_body",
]
COMMAND_FIELDS = [
	"name",
	"creation",
	"command",
	"kind",
	"status",
	"progress",
	"progress_note",
	"result",
	"preview",
	"error",
	"attachment",
	"run_as",
	"message",
]


def transcript(conversation: str, limit: int = 200) -> dict:
	"""The newest `limit` messages of the conversation (oldest first) and their commands."""
	doc = frappe.get_doc("Chatbot Conversation", conversation)
	rows = frappe.get_list(
		MESSAGE,
		filters={"conversation": conversation},
		fields=MESSAGE_FIELDS,
		order_by="creation desc",
		limit=limit + 1,
	)
	truncated = len(rows) > limit
	rows = list(reversed(rows[:limit]))
	since = rows[0].creation if truncated and rows else None
	files = _files([r.name for r in rows])
	command_filters = {"conversation": conversation}
	if since:
		command_filters["creation"] = (">=", since)
	commands = frappe.get_list(
		COMMAND, filters=command_filters, fields=COMMAND_FIELDS, order_by="creation asc"
	)
	timeline = bubbles.ordered(
		[bubbles.message_bubble(r, files.get(r.name)) for r in rows],
		[bubbles.command_card(c) for c in commands],
	)
	return {
		"conversation": doc.name,
		"contact": doc.contact,
		"contact_name": frappe.db.get_value("Chatbot Contact", doc.contact, "profile_name")
		if doc.contact
		else None,
		"user": doc.user,
		"status": doc.status,
		"message_count": doc.message_count,
		"truncated": truncated,
		"items": timeline,
	}


def _files(messages: list[str]) -> dict[str, list[dict]]:
	if not messages:
		return {}
	found: dict[str, list[dict]] = {}
	for f in frappe.get_all(
		"File",
		filters={"attached_to_doctype": MESSAGE, "attached_to_name": ("in", messages)},
		fields=["attached_to_name", "file_name", "file_url"],
		order_by="creation asc",
	):
		found.setdefault(f.attached_to_name, []).append(f)
	return found
