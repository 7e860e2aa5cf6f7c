"""Relative periods for reports that repeat: "yesterday" is the day before each run, not the day
before the user asked. Pure module: no frappe.

A subscription keeps the keyword (`yesterday`, `last_week`…) and turns it into dates on the day it
runs, into the command's own date parameters: `from_date` / `to_date` (sales summary, charts,
totals), or the `from_date` / `to_date` filters of a report export. Fixed dates in a repeating
command's arguments are refused (`fixed_dates`): "2026-05-01" in a daily report would send the same
day forever, which is never what "every day" meant.
"""

from __future__ import annotations

import datetime
import re

TODAY, YESTERDAY = "today", "yesterday"
LAST_7_DAYS, LAST_30_DAYS = "last_7_days", "last_30_days"
THIS_WEEK, LAST_WEEK, THIS_MONTH, LAST_MONTH = "this_week", "last_week", "this_month", "last_month"
PERIODS = (TODAY, YESTERDAY, LAST_7_DAYS, LAST_30_DAYS, THIS_WEEK, LAST_WEEK, THIS_MONTH, LAST_MONTH)
# the Desk's Select shows them as words; the tool and the code use the keywords
LABELS = {
	TODAY: "Today",
	YESTERDAY: "Yesterday",
	LAST_7_DAYS: "Last 7 Days",
	LAST_30_DAYS: "Last 30 Days",
	THIS_WEEK: "This Week",
	LAST_WEEK: "Last Week",
	THIS_MONTH: "This Month",
	LAST_MONTH: "Last Month",
}
KEYWORDS = {label: keyword for keyword, label in LABELS.items()}
START, END = "from_date", "to_date"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


class PeriodError(ValueError):
	"""`key` names the problem: `no_period` (the command takes no dates), `bad_period`."""

	def __init__(self, key: str):
		super().__init__(key)
		self.key = key


def keyword(value: str | None) -> str | None:
	"""The keyword of a period given as a keyword or as the Desk's label; None for none."""
	if not value:
		return None
	if value in LABELS:
		return value
	if value in KEYWORDS:
		return KEYWORDS[value]
	raise PeriodError("bad_period")


def dates(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
	"""The first and last day of `period` for a run on `today`. "Last N days" are the N whole days
	before today (a morning report has nothing of today yet); weeks start on Monday."""
	day = datetime.timedelta(days=1)
	if period == TODAY:
		return today, today
	if period == YESTERDAY:
		return today - day, today - day
	if period == LAST_7_DAYS:
		return today - 7 * day, today - day
	if period == LAST_30_DAYS:
		return today - 30 * day, today - day
	monday = today - today.weekday() * day
	if period == THIS_WEEK:
		return monday, today
	if period == LAST_WEEK:
		return monday - 7 * day, monday - day
	first = today.replace(day=1)
	if period == THIS_MONTH:
		return first, today
	if period == LAST_MONTH:
		end = first - day
		return end.replace(day=1), end
	raise PeriodError("bad_period")


def takes_period(params: dict) -> bool:
	"""The command has dates a period can fill: `from_date`/`to_date`, or a report's filters."""
	return (START in params and END in params) or _report_filters(params)


def with_period(arguments: dict, params: dict, period: str | None, today: datetime.date) -> dict:
	"""`arguments` with the period's dates for a run on `today` (a copy; no period: unchanged)."""
	if not period:
		return dict(arguments)
	start, end = (d.isoformat() for d in dates(period, today))
	if START in params and END in params:
		return {**arguments, START: start, END: end}
	if _report_filters(params):
		kept = [f for f in arguments.get("filters") or [] if f.get("name") not in (START, END)]
		return {**arguments, "filters": [*kept, {"name": START, "value": start}, {"name": END, "value": end}]}
	raise PeriodError("no_period")


def fixed_dates(value) -> list[str]:
	"""Every date written out in the arguments (parameters, filter strings, report filters)."""
	if isinstance(value, dict):
		return [d for v in value.values() for d in fixed_dates(v)]
	if isinstance(value, list):
		return [d for v in value for d in fixed_dates(v)]
	if isinstance(value, str):
		return ISO_DATE.findall(value)
	return []


def _report_filters(params: dict) -> bool:
	"""export_report's `filters`: name/value pairs, where dates are filters like any other."""
	filters = params.get("filters")
	items = getattr(filters, "items", None)
	return bool(items and getattr(items, "type", None) == "object" and "name" in items.properties)
