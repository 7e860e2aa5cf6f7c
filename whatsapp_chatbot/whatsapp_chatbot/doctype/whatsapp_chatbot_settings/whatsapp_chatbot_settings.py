# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import re

import frappe
from frappe import _
from frappe.model.document import Document

WEBHOOK_PATH = "/api/method/whatsapp_chatbot.api.webhook"


class WhatsAppChatbotSettings(Document):
	@property
	def webhook_url(self) -> str:
		return frappe.utils.get_url(WEBHOOK_PATH)

	def validate(self):
		self.graph_api_base_url = (
			(self.graph_api_base_url or "https://graph.facebook.com").strip().rstrip("/")
		)
		if not re.match(r"^https?://", self.graph_api_base_url):
			frappe.throw(_("Graph API Base URL must start with http:// or https://"))
		self.graph_api_version = (self.graph_api_version or "v25.0").strip().strip("/")
		if not re.fullmatch(r"v\d+\.\d+", self.graph_api_version):
			frappe.throw(_("Graph API Version looks like v25.0"))
		if self._password_changed("access_token"):
			# a new token deserves a new alert if Meta rejects it too
			self.access_token_invalid_since = None
		if self.enabled:
			missing = [
				self.meta.get_label(field)
				for field in ("phone_number_id", "access_token", "app_secret", "verify_token")
				if not self.get(field)
			]
			if missing:
				frappe.throw(_("Set {0} before enabling the chatbot").format(", ".join(missing)))
		for field in ("max_send_attempts", "graph_timeout", "stale_after_seconds", "lock_timeout_seconds"):
			if (self.get(field) or 0) < 1:
				frappe.throw(_("{0} must be at least 1").format(self.meta.get_label(field)))

	def _password_changed(self, fieldname: str) -> bool:
		value = self.get(fieldname)
		# Frappe shows a stored password as asterisks; anything else is a newly typed secret.
		return bool(value) and set(value) != {"*"}
