"""Who uses a Chatbot Template: the Settings, Frappe Notifications, recent messages."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, now_datetime

SETTINGS = "WhatsApp Chatbot Settings"
SETTINGS_FIELDS = ("waiting_template", "notification_template")
NOTIFICATION_FIELD = "whatsapp_template"  # the custom field notifications add to Notification
RECENT_DAYS = 30


def uses(template: str) -> list[tuple[str, object]]:
	"""[(kind, what)]: ("waiting_template", None), ("notification_template", None),
	("notification", its name) for each enabled Notification sending it, ("messages", how many
	were sent with it in the last 30 days). Empty when nothing uses it."""
	found: list[tuple[str, object]] = []
	for fieldname in SETTINGS_FIELDS:
		if frappe.db.get_single_value(SETTINGS, fieldname) == template:
			found.append((fieldname, None))
	if frappe.get_meta("Notification").has_field(NOTIFICATION_FIELD):
		for name in frappe.get_all(
			"Notification", filters={NOTIFICATION_FIELD: template, "enabled": 1}, pluck="name"
		):
			found.append(("notification", name))
	sent = frappe.db.count(
		"Chatbot Message",
		{
			"template": template,
			"direction": "Outgoing",
			"creation": (">=", add_days(now_datetime(), -RECENT_DAYS)),
		},
	)
	if sent:
		found.append(("messages", sent))
	return found
