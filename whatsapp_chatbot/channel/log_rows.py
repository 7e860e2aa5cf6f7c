"""Rows written as a log of what Meta sent (messages, statuses, contacts' names): each value fitted
to its column, inserted without the Document lifecycle, dated on Meta's clock.

Shared by the inbox (messages), statuses (delivery events) and contacts (profile names), which
is why it is a module of its own: those three import it, and it imports none of them.
"""

from __future__ import annotations

import datetime

import frappe
from frappe.utils.data import convert_utc_to_system_timezone

from whatsapp_chatbot.channel import columns


def log_insert(doc) -> bool:
	"""INSERT through the ORM without the Document lifecycle; False on a duplicate unique key.

	Webhook rows are a log written on Meta's clock: defaults, link checks, doc-event hooks of every
	installed app and list-update notifications cost about 7 ms a row, more than half the request.
	Every value is first fitted to its column (the sender shapes most of them), then lengths are
	still checked, so a value that got past the fitting fails here clearly and not in MariaDB.
	"""
	doc.name = doc.name or frappe.generate_hash(length=10)  # the DocTypes name by hash
	doc.owner = doc.modified_by = frappe.session.user
	fit_to_columns(doc)
	doc._validate_length()
	try:
		doc.db_insert()
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		return False
	return True


def fit_to_columns(doc) -> list[str]:
	"""Fit every field of `doc` to its column (channel/columns); returns the fields that changed."""
	changed = []
	for df in doc.meta.fields:
		value = doc.get(df.fieldname)
		if value is None or df.fieldtype not in frappe.db.type_map or df.fieldtype == "Check":
			continue
		column_type, default_length = frappe.db.type_map[df.fieldtype]
		max_chars = 0
		if column_type == "varchar":
			max_chars = int(df.get("length") or 0) or int(default_length)
		elif column_type == "int" and int(df.get("length") or 0) > 11:
			column_type = "bigint"  # Frappe switches to bigint above 11 digits
		fitted = columns.fit(value, column_type, max_chars)
		if fitted != value:
			doc.set(df.fieldname, fitted)
			changed.append(df.fieldname)
	return changed


def column_chars(doctype: str, fieldname: str) -> int:
	"""How many characters a varchar field holds (its `length`, else Frappe's default)."""
	df = frappe.get_meta(doctype).get_field(fieldname)
	return int(df.get("length") or 0) or int(frappe.db.type_map[df.fieldtype][1])


def meta_datetime(timestamp: int | None):
	"""Meta's Unix timestamp as a naive datetime in the site's time zone (Frappe's convention)."""
	if not timestamp:
		return None
	utc = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.timezone.utc)
	return convert_utc_to_system_timezone(utc).replace(tzinfo=None)
