# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

DOCTYPE = "Chatbot Remote Access"


class ChatbotRemoteAccess(Document):
	def validate(self):
		self.api_key = (self.api_key or "").strip()
		duplicate = frappe.db.exists(
			DOCTYPE, {"contact": self.contact, "remote_site": self.remote_site, "name": ("!=", self.name)}
		)
		if duplicate:
			frappe.throw(
				_("Contact {0} already has access to {1} ({2})").format(
					self.contact, self.remote_site, duplicate
				),
				frappe.DuplicateEntryError,
			)

	def on_update(self):
		if self.is_default:
			# one default per contact: naming a new one moves it here
			for other in self._other_rows(is_default=1):
				frappe.db.set_value(DOCTYPE, other, "is_default", 0)

	def _other_rows(self, **filters):
		return frappe.get_all(
			DOCTYPE, filters={"contact": self.contact, "name": ("!=", self.name), **filters}, pluck="name"
		)
