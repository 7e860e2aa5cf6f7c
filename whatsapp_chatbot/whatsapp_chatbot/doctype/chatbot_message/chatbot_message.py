# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from whatsapp_chatbot.realtime import transcript
from whatsapp_chatbot.review.untrusted_fields import ShownAsText


class ChatbotMessage(ShownAsText, Document):
	def onload(self):
		if self.direction == "Outgoing" and self.status == "Failed":
			from whatsapp_chatbot.review.meta_errors import explain

			self.set_onload("meta_error", explain(self.error_code, self.error_message))

	def after_insert(self):
		self._note_last_message()
		transcript.changed(self.conversation, self.doctype, self.name)

	def db_set(self, fieldname, value=None, *args, **kwargs):
		# the app moves messages along with db_set (no save hooks run): open transcripts follow here
		super().db_set(fieldname, value, *args, **kwargs)
		changed = transcript.fields_of(fieldname)
		if "conversation" in changed:  # an incoming message learns its conversation when processed
			self._note_last_message()
		if changed & transcript.MESSAGE_FIELDS:
			transcript.changed(self.conversation, self.doctype, self.name)

	def _note_last_message(self):
		"""The conversation list shows the latest message."""
		if not self.conversation:
			return
		arrow = "→" if self.direction == "Outgoing" else "←"
		text = (self.text or self.transcript or self.message_type or "").replace("\n", " ").strip()
		frappe.db.set_value(
			"Chatbot Conversation",
			self.conversation,
			"last_message",
			f"{arrow} {text}"[:140],
			update_modified=False,
		)


def on_doctype_update():
	# The sweep and the per-contact queues read by these columns on every run.
	frappe.db.add_index("Chatbot Message", ["direction", "status", "modified"])
	frappe.db.add_index("Chatbot Message", ["sender_key", "direction", "status"])
	frappe.db.add_index("Chatbot Message", ["contact", "direction", "status"])
