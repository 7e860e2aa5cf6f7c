# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

from frappe.model.document import Document


class ChatbotNotificationParameter(Document):
	"""One template parameter of a WhatsApp Notification and the Jinja expression that fills it
	(notifications/parameters.py reads these rows)."""
