"""Chatbot Usage: per user and day, messages, commands by kind and status, tokens, estimated cost,
failures; with a chart of messages and commands per day. Figures come from review/usage.py."""

import frappe
from frappe import _
from frappe.utils import add_days, getdate, today

from whatsapp_chatbot import permissions
from whatsapp_chatbot.review import usage


def execute(filters=None):
	permissions.require_manager()
	filters = frappe._dict(filters or {})
	to_date = getdate(filters.to_date or today())
	from_date = getdate(filters.from_date or add_days(to_date, -29))
	if from_date > to_date:
		frappe.throw(_("From Date must be before To Date"))
	rows = usage.usage_rows(from_date, to_date, filters.user or None)
	return columns(), rows, None, chart(rows)


def columns() -> list[dict]:
	def int_column(fieldname, label, width=90):
		return {"fieldname": fieldname, "label": label, "fieldtype": "Int", "width": width}

	return [
		{"fieldname": "date", "label": _("Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "user", "label": _("User"), "fieldtype": "Link", "options": "User", "width": 200},
		int_column("incoming", _("Messages In")),
		int_column("outgoing", _("Messages Out")),
		int_column("commands", _("Commands")),
		int_column("read", _("Reads")),
		int_column("write", _("Writes")),
		int_column("long", _("Long")),
		int_column("succeeded", _("Succeeded")),
		int_column("failed", _("Failed")),
		int_column("cancelled", _("Cancelled")),
		int_column("expired", _("Expired")),
		int_column("awaiting_confirmation", _("Awaiting Confirmation"), 110),
		int_column("open", _("Open")),
		int_column("prompt_tokens", _("Prompt Tokens"), 110),
		int_column("completion_tokens", _("Completion Tokens"), 120),
		{
			"fieldname": "cost",
			"label": _("Estimated Cost (USD)"),
			"fieldtype": "Float",
			"precision": 4,
			"width": 130,
		},
		int_column("failures", _("Failures")),
	]


def chart(rows: list[dict]) -> dict:
	days = sorted({str(r["date"]) for r in rows})
	per_day = {day: {"messages": 0, "commands": 0} for day in days}
	for r in rows:
		per_day[str(r["date"])]["messages"] += r["incoming"] + r["outgoing"]
		per_day[str(r["date"])]["commands"] += r["commands"]
	return {
		"data": {
			"labels": days,
			"datasets": [
				{"name": _("Messages"), "values": [per_day[d]["messages"] for d in days]},
				{"name": _("Commands"), "values": [per_day[d]["commands"] for d in days]},
			],
		},
		"type": "bar",
	}
