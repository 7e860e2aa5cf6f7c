"""Dashboard chart source: messages per day over the last 30 days, one line per direction."""

import frappe
from frappe import _
from frappe.utils import add_days, formatdate, getdate, today

from whatsapp_chatbot import permissions

DAYS = 30


@frappe.whitelist()
def get(
	chart_name=None,
	chart=None,
	no_cache=None,
	filters=None,
	from_date=None,
	to_date=None,
	timespan=None,
	time_interval=None,
	heatmap_year=None,
):
	permissions.require_manager()
	last = getdate(to_date) if to_date else getdate(today())
	first = getdate(from_date) if from_date else add_days(last, -(DAYS - 1))
	days = [add_days(first, i) for i in range((last - first).days + 1)]
	counts = {
		(str(r.day), r.direction): r.n
		for r in frappe.db.sql(
			"""select date(creation) day, direction, count(*) n from `tabChatbot Message`
			where creation >= %(first)s and creation < %(end)s group by day, direction""",
			{"first": first, "end": add_days(last, 1)},
			as_dict=True,
		)
	}
	return {
		"labels": [formatdate(day, "dd MMM") for day in days],
		"datasets": [
			{"name": _(direction), "values": [counts.get((str(day), direction), 0) for day in days]}
			for direction in ("Incoming", "Outgoing")
		],
		"type": "line",
	}
