# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot import permissions
from whatsapp_chatbot.review.untrusted_fields import ShownAsText

DOCTYPE = "Chatbot Remote Access"


class ChatbotRemoteAccess(ShownAsText, Document):
	def validate(self):
		self.api_key = (self.api_key or "").strip()
		self.check_contact()
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

	def check_contact(self):
		"""A row lets its contact act as the key's remote user. It stays with the contact it was made
		for (moving it, secret included, to one's own contact would be acting as that remote user),
		and only someone who may map the contact's User may add or change it."""
		before = self.get_doc_before_save()
		if before is not None and before.contact != self.contact:
			frappe.throw(
				_("The contact of a Remote Access cannot be changed: add a new one for the other contact"),
				frappe.CannotChangeConstantError,  # as Frappe's own set_only_once check says it
			)
		if self.flags.ignore_permissions:
			return  # the app's own code, as for Chatbot Contact: REST and imports never set it
		user = frappe.db.get_value("Chatbot Contact", self.contact, "user")
		if user:
			permissions.require_may_map(user, require_enabled=False)

	def on_update(self):
		if self.is_default:
			# one default per contact: naming a new one moves it here
			for other in self._other_rows(is_default=1):
				frappe.db.set_value(DOCTYPE, other, "is_default", 0)

	def _other_rows(self, **filters):
		return frappe.get_all(
			DOCTYPE, filters={"contact": self.contact, "name": ("!=", self.name), **filters}, pluck="name"
		)
