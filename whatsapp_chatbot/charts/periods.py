"""Time buckets for charts over a period: days, ISO weeks (starting Monday) or months, every
bucket present even when nothing happened in it (a day without sales is a zero, not a gap).

Pure module: no frappe. Labels are short, for a phone's x axis, with the month names of the reader's
language from the locale data Babel (a Frappe dependency) has for every language.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

DAY, WEEK, MONTH = "day", "week", "month"
GRAINS = (DAY, WEEK, MONTH)
MAX_BUCKETS = 120  # more columns than this are unreadable on a phone
# where Babel is not installed (the pure tests): English, and Spanish as Babel writes it
MONTHS = {
	"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
	"es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
}


class TooManyBuckets(ValueError):
	def __init__(self, count: int, grain: str):
		super().__init__(f"{count} {grain}s")
		self.count = count
		self.grain = grain


def choose_grain(start: datetime.date, end: datetime.date) -> str:
	"""Days up to a month, weeks up to half a year, months beyond."""
	days = (end - start).days + 1
	return DAY if days <= 31 else WEEK if days <= 183 else MONTH


def bucket_of(day: datetime.date, grain: str) -> datetime.date:
	if grain == DAY:
		return day
	if grain == WEEK:
		return day - datetime.timedelta(days=day.weekday())
	if grain == MONTH:
		return day.replace(day=1)
	raise ValueError(f"unknown grain {grain!r}")


def buckets(start: datetime.date, end: datetime.date, grain: str) -> list[datetime.date]:
	"""Every bucket from the one holding `start` to the one holding `end`."""
	if start > end:
		raise ValueError("the period starts after it ends")
	result, current = [], bucket_of(start, grain)
	while current <= end:
		result.append(current)
		if len(result) > MAX_BUCKETS:
			raise TooManyBuckets(_count(start, end, grain), grain)
		current = _next(current, grain)
	return result


def totals(
	rows: Iterable[tuple[datetime.date, float]], start: datetime.date, end: datetime.date, grain: str
) -> tuple[list[datetime.date], list[float]]:
	"""(day, value) rows summed into every bucket of the period, in order."""
	keys = buckets(start, end, grain)
	sums = dict.fromkeys(keys, 0.0)
	for day, value in rows:
		key = bucket_of(_as_date(day), grain)
		if key in sums:
			sums[key] += float(value or 0)
	return keys, [sums[k] for k in keys]


def month_names(language: str) -> tuple[str, ...]:
	"""Short month names in `language` ("jan", "fev"… in Portuguese), without abbreviation dots."""
	try:
		from babel.dates import get_month_names

		names = get_month_names("abbreviated", locale=language.replace("-", "_"))
		return tuple(names[month].rstrip(".") for month in range(1, 13))
	except Exception:  # no Babel, or a language it does not know
		return MONTHS.get(language, MONTHS["en"])


def label(bucket: datetime.date, grain: str, language: str = "en") -> str:
	months = month_names(language)
	if grain == MONTH:
		return f"{months[bucket.month - 1]} {bucket.year}"
	return f"{bucket.day} {months[bucket.month - 1]}"


def _next(bucket: datetime.date, grain: str) -> datetime.date:
	if grain == DAY:
		return bucket + datetime.timedelta(days=1)
	if grain == WEEK:
		return bucket + datetime.timedelta(days=7)
	year, month = divmod(bucket.month, 12)
	return bucket.replace(year=bucket.year + year, month=month + 1, day=1)


def _count(start: datetime.date, end: datetime.date, grain: str) -> int:
	if grain == DAY:
		return (end - start).days + 1
	if grain == WEEK:
		return (bucket_of(end, WEEK) - bucket_of(start, WEEK)).days // 7 + 1
	return (end.year - start.year) * 12 + end.month - start.month + 1


def _as_date(value) -> datetime.date:
	if isinstance(value, datetime.datetime):
		return value.date()
	if isinstance(value, datetime.date):
		return value
	return datetime.date.fromisoformat(str(value)[:10])
