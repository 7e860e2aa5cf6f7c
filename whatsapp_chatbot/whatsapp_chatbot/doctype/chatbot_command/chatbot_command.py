# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

from frappe.model.document import Document

from whatsapp_chatbot.realtime import transcript
from whatsapp_chatbot.review.untrusted_fields import ShownAsText


class ChatbotCommand(ShownAsText, Document):
	def after_insert(self):
		transcript.changed(self.conversation, self.doctype, self.name)

	def db_set(self, fieldname, value=None, *args, **kwargs):
		# commands move along with db_set (no save hooks run): open transcripts follow here
		super().db_set(fieldname, value, *args, **kwargs)
		if transcript.fields_of(fieldname) & transcript.COMMAND_FIELDS:
			transcript.changed(self.conversation, self.doctype, self.name)
