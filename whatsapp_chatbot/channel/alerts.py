"""Tell the managers when the channel itself is broken (today: Meta rejected the access token).

One alert per broken token, not one per message: the first send job that sees error 190 records
the time on the Settings and notifies; the others see the time and stay quiet. Saving a new token
clears it.
"""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import locks
from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.settings import DOCTYPE


def invalid_token(error: GraphError) -> bool:
	"""Record and announce a rejected token; False when it was already announced."""
	if token_invalid_since():
		return False
	# Several send jobs can hit 190 at the same moment: only one of them announces it.
	if not locks.once("invalid-token", ttl=600):
		return False
	frappe.db.set_single_value(DOCTYPE, "access_token_invalid_since", now_datetime())
	subject = "WhatsApp chatbot: Meta rejected the access token, no message can be sent"
	frappe.log_error(title=subject, message=error.describe())
	for user in permissions.managers():
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"document_type": DOCTYPE,
				"document_name": DOCTYPE,
				"subject": subject,
				"email_content": f"{error.describe()}<br>Save a new access token in WhatsApp Chatbot Settings.",
			}
		).insert(ignore_permissions=True)
	return True


def token_invalid_since() -> str | None:
	# get_single_value turns an empty Datetime into 0001-01-01; the stored text says "unset" truly.
	value = frappe.db.sql(
		"select value from tabSingles where doctype=%s and field='access_token_invalid_since'", DOCTYPE
	)
	return value[0][0] if value and value[0][0] else None
