# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

from frappe.model.document import Document


class ChatbotApproval(Document):
	"""Written by approvals/offers.py and approvals/press.py only (nobody creates one in the Desk)."""
