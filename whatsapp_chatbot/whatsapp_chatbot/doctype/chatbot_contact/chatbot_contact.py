# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot import permissions


class ChatbotContact(Document):
	def validate(self):
		# Unique indexes allow many NULLs but one empty string: store "no value" as NULL.
		self.wa_id = "".join(ch for ch in (self.wa_id or "") if ch.isdigit()) or None
		self.user_id = (self.user_id or "").strip() or None
		self.language = (self.language or "").strip() or None
		if self.language and not frappe.db.exists("Language", self.language):
			frappe.throw(_("Unknown language code {0}").format(self.language))
		if not (self.wa_id or self.user_id):
			frappe.throw(_("A contact needs a WhatsApp number or a business-scoped user id"))
		if self.user and not permissions.user_may_chat(self.user):
			frappe.msgprint(
				_(
					"User {0} does not have the role {1}: this contact will get no answers until it does."
				).format(self.user, permissions.CHAT_ROLE),
				indicator="orange",
				alert=True,
			)
