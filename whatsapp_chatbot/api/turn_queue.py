"""The turn queue in the Desk, for managers: the Settings form's "Turn Queue" section and the
workspace's two Number Cards (type Custom: Frappe calls the method with `filters` and shows
`value` formatted as `fieldtype`; `route` is where a click on the card goes)."""

from __future__ import annotations

import frappe

from whatsapp_chatbot import permissions
from whatsapp_chatbot.channel import backlog, drain_estimate

SETTINGS_ROUTE = ["Form", "WhatsApp Chatbot Settings"]  # a click on a card opens the Turn Queue figures


@frappe.whitelist()
def status() -> dict:
	"""Queue name, workers serving it, depth, the oldest job's wait, recent waits p50/p99, typical
	turn seconds and how long the queue takes to drain (channel/backlog.py snapshot)."""
	permissions.require_manager()
	return backlog.snapshot()


@frappe.whitelist()
def turns_waiting(filters=None) -> dict:
	permissions.require_manager()
	return {"value": backlog.queue().count, "fieldtype": "Int", "route": SETTINGS_ROUTE}


@frappe.whitelist()
def turn_wait_p50(filters=None) -> dict:
	permissions.require_manager()
	p50 = drain_estimate.percentile(backlog.recent(backlog.WAITS), 0.5)
	return {"value": round(p50 or 0.0, 1), "fieldtype": "Float", "route": SETTINGS_ROUTE}
