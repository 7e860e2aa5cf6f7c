# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

from frappe.model.document import Document


class ChatbotTemplateEvent(Document):
	pass
