"""When a subscription runs next: every day, Monday to Friday, one day a week, or one day a month, at
a time of day. Pure module: no frappe.

Everything is in the site's time zone as Frappe keeps it: naive datetimes read on the site's wall
clock (frappe.utils.now_datetime). A schedule is "8:00 on the wall clock", so it stays at 8:00
through a daylight-saving change (a UTC schedule would move by an hour). On the day the clocks go
forward a time inside the skipped hour is simply passed at the jump, and the run goes then; on the
day they go back, the next run is tomorrow's, so the hour seen twice does not run twice.

The next run is always counted from *now*, never from the previous next run: a server that was down
at 8:00 for three days runs the subscription once when it is back, not three times.
"""

from __future__ import annotations

import calendar
import datetime
import re

DAILY, WEEKDAYS, WEEKLY, MONTHLY = "Daily", "Weekdays", "Weekly", "Monthly"
FREQUENCIES = (DAILY, WEEKDAYS, WEEKLY, MONTHLY)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME = re.compile(r"^\s*(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2})(?::\d{2}(?:\.\d+)?)?)?\s*$")


class ScheduleError(ValueError):
	"""A schedule that cannot be run; `key` names the problem (the caller words it)."""

	def __init__(self, key: str):
		super().__init__(key)
		self.key = key


def parse_time(value) -> datetime.time:
	"""'8', '08:00', '8:30', '20h15', '08:00:00' or a time → a time of day (minutes, no seconds)."""
	if isinstance(value, datetime.time):
		return value.replace(second=0, microsecond=0)
	if isinstance(value, datetime.timedelta):  # what MariaDB hands back for a Time column
		minutes = int(value.total_seconds()) // 60
		return datetime.time(minutes // 60 % 24, minutes % 60)
	match = TIME.match(str(value or ""))
	if not match:
		raise ScheduleError("bad_time")
	hour, minute = int(match["hour"]), int(match["minute"] or 0)
	if hour > 23 or minute > 59:
		raise ScheduleError("bad_time")
	return datetime.time(hour, minute)


def check(frequency: str, weekday: str | None = None, day_of_month: int | None = None) -> None:
	"""Raise ScheduleError unless the frequency has what it needs."""
	if frequency not in FREQUENCIES:
		raise ScheduleError("bad_frequency")
	if frequency == WEEKLY and weekday not in DAYS:
		raise ScheduleError("needs_weekday")
	if frequency == MONTHLY and not (isinstance(day_of_month, int) and 1 <= day_of_month <= 31):
		raise ScheduleError("needs_day")


def runs_on(
	day: datetime.date, frequency: str, weekday: str | None = None, day_of_month: int | None = None
) -> bool:
	if frequency == DAILY:
		return True
	if frequency == WEEKDAYS:
		return day.weekday() < 5
	if frequency == WEEKLY:
		return DAYS[day.weekday()] == weekday
	if frequency == MONTHLY:
		# day 31 in a 30-day month (or 29-31 in February) is that month's last day
		last = calendar.monthrange(day.year, day.month)[1]
		return day.day == min(int(day_of_month), last)
	raise ScheduleError("bad_frequency")


def next_run(
	frequency: str,
	at,
	after: datetime.datetime,
	weekday: str | None = None,
	day_of_month: int | None = None,
) -> datetime.datetime:
	"""The first time strictly after `after` (naive, the site's wall clock) when it runs."""
	check(frequency, weekday, day_of_month)
	at = parse_time(at)
	after = after.replace(tzinfo=None)
	day = after.date()
	for _ in range(64):  # a monthly schedule finds its day within two months
		candidate = datetime.datetime.combine(day, at)
		if candidate > after and runs_on(day, frequency, weekday, day_of_month):
			return candidate
		day += datetime.timedelta(days=1)
	raise ScheduleError("bad_frequency")  # unreachable for a checked schedule


def clock(at) -> str:
	"""'8:00', '17:30': how the time is said in a subscription's title."""
	at = parse_time(at)
	return f"{at.hour}:{at.minute:02d}"
