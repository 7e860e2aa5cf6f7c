"""Read WhatsApp Chatbot Settings and build the Graph client from them.

Secrets come from the Password fields' encrypted store and are never logged, put in Redis or on a
document: the cached Settings document only ever holds Frappe's asterisks. A decrypted secret is
kept in the memory of the process that asked for it, for as long as the Settings are not saved
again (the webhook checks the App Secret on every request: reading it from the database each time
was a third of the request).
"""

from __future__ import annotations

import frappe
from frappe.utils.password import get_decrypted_password

from whatsapp_chatbot.channel.graph import GraphClient

DOCTYPE = "WhatsApp Chatbot Settings"


def get_settings():
	return frappe.get_cached_doc(DOCTYPE)


# (site, fieldname) -> (the Settings' `modified` when it was read, the secret); this process only
_secrets: dict[tuple[str, str], tuple[str, str | None]] = {}


def secret(fieldname: str) -> str | None:
	# saving the Settings (the only way the Desk changes a secret) changes `modified` and clears the
	# cached document, so a changed or removed secret is read again at once, in every process
	modified = str(get_settings().modified)
	key = (frappe.local.site, fieldname)
	known = _secrets.get(key)
	if known and known[0] == modified:
		return known[1]
	value = get_decrypted_password(DOCTYPE, DOCTYPE, fieldname, raise_exception=False) or None
	_secrets[key] = (modified, value)
	return value


def graph_client(settings=None) -> GraphClient:
	settings = settings or get_settings()
	token = settings.get("access_token")
	if not token or settings.is_dummy_password(token):  # not one typed and unsaved (a form's test)
		token = secret("access_token")  # decrypted once per process while the Settings stay the same
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
