# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

from frappe.model.document import Document

from whatsapp_chatbot.review.untrusted_fields import ShownAsText


class ChatbotTemplateEvent(ShownAsText, Document):
	pass
