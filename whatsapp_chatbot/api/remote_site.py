"""Desk actions on a Chatbot Remote Site, for WhatsApp Chatbot Managers."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot import permissions
from whatsapp_chatbot.executors import connection_check


@frappe.whitelist(methods=["POST"])
def test_connection(remote_site: str, api_key: str | None = None, api_secret: str | None = None) -> dict:
	"""Tunnel, host key, the remote site answering and a login there, each timed (the form's
	Test connection button). The outcome is kept on the site; the key is not."""
	permissions.require_manager()
	site = frappe.get_doc("Chatbot Remote Site", remote_site)
	site.check_permission("write")
	report = connection_check.run(site, api_key, api_secret)
	site.db_set(
		{"last_test_at": now_datetime(), "last_test_result": report.summary()[:1000]}, update_modified=False
	)
	return report.as_dict()
