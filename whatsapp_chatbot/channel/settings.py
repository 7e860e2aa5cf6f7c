"""Read WhatsApp Chatbot Settings and build the Graph client from them.

Secrets are read from Password fields at the moment they are needed and never cached, logged or
put on a document: the cached Settings document only ever holds Frappe's asterisks.
"""

from __future__ import annotations

import frappe
from frappe.utils.password import get_decrypted_password

from whatsapp_chatbot.channel.graph import GraphClient

DOCTYPE = "WhatsApp Chatbot Settings"


def get_settings():
	return frappe.get_cached_doc(DOCTYPE)


def secret(fieldname: str) -> str | None:
	# straight from the encrypted store: the webhook asks on every request
	return get_decrypted_password(DOCTYPE, DOCTYPE, fieldname, raise_exception=False) or None


def graph_client(settings=None) -> GraphClient:
	settings = settings or get_settings()
	token = settings.get_password("access_token", raise_exception=False)
	if not settings.phone_number_id or not token:
		raise frappe.ValidationError(
			"WhatsApp Chatbot Settings: phone number id and access token are required"
		)
	return GraphClient(
		phone_number_id=settings.phone_number_id,
		access_token=token,
		base_url=settings.graph_api_base_url,
		version=settings.graph_api_version,
		timeout=float(settings.graph_timeout or 20),
	)
