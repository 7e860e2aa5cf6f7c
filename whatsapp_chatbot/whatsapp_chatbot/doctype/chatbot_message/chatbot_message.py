# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.query_builder.functions import IfNull

from whatsapp_chatbot.realtime import transcript
from whatsapp_chatbot.review.untrusted_fields import ShownAsText


class ChatbotMessage(ShownAsText, Document):
	def onload(self):
		# why it failed, or why it is held (the 24-hour window), and what to do
		if self.direction == "Outgoing" and self.status in ("Failed", "Held"):
			from whatsapp_chatbot.review.meta_errors import explain

			self.set_onload("meta_error", explain(self.error_code, self.error_message))

	def after_insert(self):
		self._note_last_message()
		transcript.changed(self.conversation, self.doctype, self.name)

	def db_set(self, fieldname, value=None, *args, **kwargs):
		# the app moves messages along with db_set (no save hooks run): open transcripts follow here
		before = self.conversation
		super().db_set(fieldname, value, *args, **kwargs)
		changed = transcript.fields_of(fieldname)
		# an incoming message learns its conversation when processed; a retry sets the same again
		if "conversation" in changed and self.conversation != before:
			_count(before, -1)
			self._note_last_message()
		if changed & transcript.MESSAGE_FIELDS:
			transcript.changed(self.conversation, self.doctype, self.name)

	def on_trash(self):
		_count(self.conversation, -1)

	def _note_last_message(self):
		"""The conversation shows its latest message and how many it holds, both directions."""
		if not self.conversation:
			return
		arrow = "→" if self.direction == "Outgoing" else "←"
		text = (self.text or self.transcript or self.message_type or "").replace("\n", " ").strip()
		_count(self.conversation, 1, last_message=f"{arrow} {text}"[:140])


def _count(conversation: str | None, delta: int, **values) -> None:
	"""Add `delta` to the conversation's message count in the database, not from a copy read
	earlier: a worker's turn and a manager's reply store messages of the same conversation at once.
	The UPDATE locks the conversation row until commit, so concurrent counts queue, none is lost."""
	if not conversation:
		return
	table = frappe.qb.DocType("Chatbot Conversation")
	query = frappe.qb.update(table).set(table.message_count, IfNull(table.message_count, 0) + delta)
	for field, value in values.items():
		query = query.set(table[field], value)
	query.where(table.name == conversation).run()


def on_doctype_update():
	# The sweep and the per-contact queues read by these columns on every run.
	frappe.db.add_index("Chatbot Message", ["direction", "status", "modified"])
	frappe.db.add_index("Chatbot Message", ["sender_key", "direction", "status"])
	frappe.db.add_index("Chatbot Message", ["contact", "direction", "status"])
