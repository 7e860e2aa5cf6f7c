# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

from frappe.model.document import Document

from whatsapp_chatbot.review.untrusted_fields import ShownAsText
from whatsapp_chatbot.subscriptions import records


class ChatbotSubscription(ShownAsText, Document):
	def validate(self):
		# who it runs as, what it runs and when: subscriptions/records.py keeps the rules
		records.validate(self)
