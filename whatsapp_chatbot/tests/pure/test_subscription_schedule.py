"""When a subscription runs next, and what "yesterday" means on the day it runs (no site needed)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from whatsapp_chatbot.subscriptions import relative, schedule
from whatsapp_chatbot.subscriptions.relative import PeriodError
from whatsapp_chatbot.subscriptions.schedule import ScheduleError, next_run
from whatsapp_chatbot.tools.schema import Param

D = datetime.datetime
# 2026-12-07 is a Monday
MONDAY_7 = D(2026, 12, 7, 7, 59)


@pytest.mark.parametrize(
	"frequency, after, expected, extra",
	[
		("Daily", MONDAY_7, D(2026, 12, 7, 8, 0), {}),
		("Daily", D(2026, 12, 7, 8, 0), D(2026, 12, 8, 8, 0), {}),  # strictly after: not again now
		("Weekdays", D(2026, 12, 11, 9, 0), D(2026, 12, 14, 8, 0), {}),  # Friday after 8 → Monday
		("Weekdays", D(2026, 12, 12, 7, 0), D(2026, 12, 14, 8, 0), {}),  # Saturday → Monday
		("Weekly", MONDAY_7, D(2026, 12, 11, 8, 0), {"weekday": "Friday"}),
		("Weekly", D(2026, 12, 11, 8, 1), D(2026, 12, 18, 8, 0), {"weekday": "Friday"}),
		("Monthly", MONDAY_7, D(2026, 12, 15, 8, 0), {"day_of_month": 15}),
		("Monthly", D(2026, 12, 15, 9, 0), D(2027, 1, 15, 8, 0), {"day_of_month": 15}),
		# day 31 in a 30-day month is its last day; in February too, leap year or not
		("Monthly", D(2026, 10, 31, 9, 0), D(2026, 11, 30, 8, 0), {"day_of_month": 31}),
		("Monthly", D(2027, 1, 31, 9, 0), D(2027, 2, 28, 8, 0), {"day_of_month": 31}),
		("Monthly", D(2028, 1, 31, 9, 0), D(2028, 2, 29, 8, 0), {"day_of_month": 30}),
		("Monthly", D(2026, 11, 30, 9, 0), D(2026, 12, 31, 8, 0), {"day_of_month": 31}),
	],
)
def test_next_run(frequency, after, expected, extra):
	assert next_run(frequency, "08:00", after, **extra) == expected


def test_missed_runs_run_once_counted_from_now():
	"""The server was down from Monday 7:00 to Thursday 10:00: the run due Monday goes once on
	Thursday, and the next one is Friday 8:00, not Tuesday, Wednesday and Thursday in a row."""
	due = next_run("Daily", "08:00", MONDAY_7)
	back = D(2026, 12, 10, 10, 0)
	assert due < back  # the tick sees it due, runs it, and schedules from now:
	assert next_run("Daily", "08:00", back) == D(2026, 12, 11, 8, 0)


def test_the_wall_clock_hour_holds_across_daylight_saving():
	"""8:00 in Madrid stays 8:00 on the wall clock when the clocks change (29 March 2026): the
	instants between runs are 23 hours apart that night, not 24."""
	madrid = ZoneInfo("Europe/Madrid")
	saturday = next_run("Daily", "08:00", D(2026, 3, 28, 7, 0))
	sunday = next_run("Daily", "08:00", saturday)
	assert (saturday.hour, sunday.hour) == (8, 8)
	# (aware datetimes of one zone subtract as wall clocks: compare the instants in UTC)
	utc = datetime.timezone.utc
	apart = sunday.replace(tzinfo=madrid).astimezone(utc) - saturday.replace(tzinfo=madrid).astimezone(utc)
	assert apart == datetime.timedelta(hours=23)
	# a time in the hour skipped that morning (2:30) is passed when the clock jumps to 3:00:
	# the site's clock reads 3:00 and the run is due
	skipped = next_run("Daily", "02:30", D(2026, 3, 28, 3, 0))
	assert skipped == D(2026, 3, 29, 2, 30) and skipped < D(2026, 3, 29, 3, 0)
	# the hour seen twice in October (2:00-3:00) runs once: the next run is the next day's
	once = next_run("Daily", "02:30", D(2026, 10, 25, 2, 30))
	assert once == D(2026, 10, 26, 2, 30)


@pytest.mark.parametrize(
	"frequency, extra, key",
	[
		("Hourly", {}, "bad_frequency"),
		("Weekly", {}, "needs_weekday"),
		("Weekly", {"weekday": "Funday"}, "needs_weekday"),
		("Monthly", {"day_of_month": 0}, "needs_day"),
		("Monthly", {"day_of_month": 32}, "needs_day"),
	],
)
def test_bad_schedules(frequency, extra, key):
	with pytest.raises(ScheduleError) as raised:
		next_run(frequency, "08:00", MONDAY_7, **extra)
	assert raised.value.key == key


@pytest.mark.parametrize(
	"value, expected",
	[
		("8", datetime.time(8, 0)),
		("08:00", datetime.time(8, 0)),
		("8:30", datetime.time(8, 30)),
		("20h15", datetime.time(20, 15)),
		(datetime.timedelta(hours=7, minutes=5), datetime.time(7, 5)),  # a Time column from MariaDB
		(datetime.time(9, 45, 12), datetime.time(9, 45)),
		("08:00:00", datetime.time(8, 0)),  # as the Desk and a Time column write it
	],
)
def test_times(value, expected):
	assert schedule.parse_time(value) == expected


@pytest.mark.parametrize("value", ["", "25:00", "8:75", "800", "ocho", None])
def test_bad_times(value):
	with pytest.raises(ScheduleError):
		schedule.parse_time(value)


# -- relative periods ------------------------------------------------------------------------------

DAY = datetime.date


@pytest.mark.parametrize(
	"period, today, expected",
	[
		("today", DAY(2026, 12, 9), (DAY(2026, 12, 9), DAY(2026, 12, 9))),
		("yesterday", DAY(2026, 12, 9), (DAY(2026, 12, 8), DAY(2026, 12, 8))),
		("yesterday", DAY(2027, 1, 1), (DAY(2026, 12, 31), DAY(2026, 12, 31))),
		("last_7_days", DAY(2026, 12, 9), (DAY(2026, 12, 2), DAY(2026, 12, 8))),
		("last_30_days", DAY(2026, 12, 9), (DAY(2026, 11, 9), DAY(2026, 12, 8))),
		("this_week", DAY(2026, 12, 9), (DAY(2026, 12, 7), DAY(2026, 12, 9))),
		("last_week", DAY(2026, 12, 7), (DAY(2026, 11, 30), DAY(2026, 12, 6))),
		("this_month", DAY(2026, 12, 9), (DAY(2026, 12, 1), DAY(2026, 12, 9))),
		("last_month", DAY(2026, 3, 2), (DAY(2026, 2, 1), DAY(2026, 2, 28))),
	],
)
def test_period_dates(period, today, expected):
	assert relative.dates(period, today) == expected


SUMMARY = {"from_date": Param("date", ""), "to_date": Param("date", ""), "top": Param("integer", "")}
PAIR = Param("object", "", properties={"name": Param("string", ""), "value": Param("string", "")})
REPORT = {"report": Param("string", ""), "filters": Param("array", "", items=PAIR)}


def test_yesterday_is_the_day_before_each_run():
	stored = {"top": 3}
	monday = relative.with_period(stored, SUMMARY, "yesterday", DAY(2026, 12, 7))
	tuesday = relative.with_period(stored, SUMMARY, "yesterday", DAY(2026, 12, 8))
	assert monday == {"top": 3, "from_date": "2026-12-06", "to_date": "2026-12-06"}
	assert tuesday["from_date"] == tuesday["to_date"] == "2026-12-07"
	assert stored == {"top": 3}  # what is stored keeps the keyword, never the dates


def test_a_report_gets_the_period_as_its_date_filters():
	stored = {"report": "General Ledger", "filters": [{"name": "company", "value": "TC"}]}
	ran = relative.with_period(stored, REPORT, "last_month", DAY(2026, 12, 7))
	assert ran["filters"] == [
		{"name": "company", "value": "TC"},
		{"name": "from_date", "value": "2026-11-01"},
		{"name": "to_date", "value": "2026-11-30"},
	]


def test_a_command_without_dates_takes_no_period():
	stock = {"item": Param("string", "")}
	assert not relative.takes_period(stock)
	assert relative.with_period({"item": "X"}, stock, None, DAY(2026, 12, 7)) == {"item": "X"}
	with pytest.raises(PeriodError) as raised:
		relative.with_period({"item": "X"}, stock, "yesterday", DAY(2026, 12, 7))
	assert raised.value.key == "no_period"


def test_fixed_dates_are_found_wherever_they_are_written():
	assert relative.fixed_dates({"from_date": "2026-05-01", "top": 5}) == ["2026-05-01"]
	assert relative.fixed_dates({"filters": ["posting_date >= 2026-01-01", "status = Paid"]}) == [
		"2026-01-01"
	]
	assert relative.fixed_dates({"filters": [{"name": "to_date", "value": "2026-02-28"}]}) == ["2026-02-28"]
	assert relative.fixed_dates({"item": "TORN-M8", "limit": 10}) == []


def test_keywords_and_the_desks_labels():
	assert relative.keyword("Last 7 Days") == "last_7_days"
	assert relative.keyword("yesterday") == "yesterday"
	assert relative.keyword("") is None
	with pytest.raises(PeriodError):
		relative.keyword("next_year")
