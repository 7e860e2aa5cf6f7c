"""Sites that had the Settings before "Busy Notice After (s)" existed get its default (60 s): a field
added to a Single has no value until someone saves it, and none reads as 0, which means off."""

import frappe

SETTINGS = "WhatsApp Chatbot Settings"
FIELD = "busy_notice_after_seconds"


def execute():
	stored = frappe.db.sql("SELECT 1 FROM `tabSingles` WHERE doctype = %s AND field = %s", (SETTINGS, FIELD))
	if not stored:
		frappe.db.set_single_value(SETTINGS, FIELD, 60)
