# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class ChatbotMessage(Document):
	pass


def on_doctype_update():
	# The sweep and the per-contact queues read by these columns on every run.
	frappe.db.add_index("Chatbot Message", ["direction", "status", "modified"])
	frappe.db.add_index("Chatbot Message", ["sender_key", "direction", "status"])
	frappe.db.add_index("Chatbot Message", ["contact", "direction", "status"])
