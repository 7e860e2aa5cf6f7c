"""Fit a value to the database column it goes into. Pure module: no frappe import.

What Meta sends is the sender's to shape (a document's file name, a profile name, a flow's answer):
a value longer than its column must not cost the message, nor the rest of the batch it came in.
Rows keep what fits; the full value stays in the row's raw `payload`.
"""

from __future__ import annotations

import json
import math

# MariaDB's limits for text columns are in bytes (utf8mb4: up to 4 a character).
TEXT_BYTES = {"tinytext": 255, "text": 65535, "mediumtext": 16777215}
# Frappe's numeric columns: decimal(21,9) holds 12 integer digits; ints by their width.
DECIMAL_LIMIT = 10**12
INT_LIMIT = {"smallint": 2**15 - 1, "int": 2**31 - 1, "bigint": 2**63 - 1}
STRING_COLUMNS = ("varchar", *TEXT_BYTES, "longtext")


def fit(value, column_type: str | None, max_chars: int = 0):
	"""`value` as its column can hold it: text cut to `max_chars` characters (varchar) or to the
	column's bytes (text types), never a dict or list nor a lone surrogate (JSON may carry one,
	UTF-8 cannot); numbers that do not fit become 0, what
	Frappe stores for an empty number. Other column types (dates, longtext, json) are left as they are.
	"""
	if value is None:
		return None
	if column_type in STRING_COLUMNS:
		text = as_text(value)
		if column_type == "varchar":
			return text[:max_chars] if max_chars else text
		return cut_bytes(text, TEXT_BYTES[column_type]) if column_type in TEXT_BYTES else text
	if column_type == "decimal":
		number = _number(value, float)
		return number if math.isfinite(number) and abs(number) < DECIMAL_LIMIT else 0.0
	if column_type in INT_LIMIT:
		number = _number(value, int)
		return number if abs(number) <= INT_LIMIT[column_type] else 0
	return value


def as_text(value) -> str:
	if isinstance(value, dict | list | tuple):
		value = json.dumps(value, ensure_ascii=False, default=str)
	text = value if isinstance(value, str) else str(value)
	try:
		text.encode("utf-8")
	except UnicodeEncodeError:
		text = text.encode("utf-8", "replace").decode("utf-8")
	return text


def cut_bytes(text: str, limit: int) -> str:
	"""The longest start of `text` whose UTF-8 encoding takes at most `limit` bytes."""
	encoded = text.encode("utf-8")
	if len(encoded) <= limit:
		return text
	return encoded[:limit].decode("utf-8", "ignore")  # a character cut in half is dropped


def _number(value, kind):
	if isinstance(value, bool):
		return kind(value)
	try:
		return kind(value)
	except (TypeError, ValueError, OverflowError):
		try:
			return kind(float(value))
		except (TypeError, ValueError, OverflowError):
			return kind(0)
