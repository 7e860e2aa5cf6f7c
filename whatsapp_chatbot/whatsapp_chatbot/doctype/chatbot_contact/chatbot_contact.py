# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot import permissions
from whatsapp_chatbot.review.untrusted_fields import ShownAsText
from whatsapp_chatbot.whatsapp_chatbot.doctype.chatbot_contact import relink


class ChatbotContact(ShownAsText, Document):
	def validate(self):
		# Unique indexes allow many NULLs but one empty string: store "no value" as NULL.
		self.wa_id = "".join(ch for ch in (self.wa_id or "") if ch.isdigit()) or None
		self.user_id = (self.user_id or "").strip() or None
		self.language = (self.language or "").strip() or None
		if self.language and not frappe.db.exists("Language", self.language):
			frappe.throw(_("Unknown language code {0}").format(self.language))
		if not (self.wa_id or self.user_id):
			frappe.throw(_("A contact needs a WhatsApp number or a business-scoped user id"))
		self.check_mapping()
		if self.user and not permissions.user_may_chat(self.user):
			frappe.msgprint(
				_(
					"User {0} does not have the role {1}: this contact will get no answers until it does."
				).format(self.user, permissions.CHAT_ROLE),
				indicator="orange",
				alert=True,
			)

	def check_mapping(self):
		"""Linking a number to a User hands that User's powers to the phone: whoever saves this
		(form, REST, Data Import, Link Staff) must be allowed to map the User it gets, and the User
		it is taken from. Re-pointing someone's contact to another number is mapping them too.
		Code that passes ignore_permissions is the app's own (a message from Meta filling in a
		missing number, the Playground after its own check): Frappe's REST and import never set it."""
		if self.flags.ignore_permissions:
			return
		before = self.get_doc_before_save()
		if before is None:
			if self.user:
				permissions.require_may_map(self.user)
			return
		if before.user != self.user:
			if before.user:
				permissions.require_may_map(before.user, require_enabled=False)
			if self.user:
				permissions.require_may_map(self.user)
		elif self.user and (before.wa_id, before.user_id) != (self.wa_id, self.user_id):
			permissions.require_may_map(self.user, require_enabled=False)

	def on_update(self):
		before = self.get_doc_before_save()
		if before is None:
			return
		if before.user != self.user:
			relink.forget_old_user(self, before.user)
		elif before.enabled and not self.enabled:
			relink.cancel_pending(self, _("the contact was disabled"))
