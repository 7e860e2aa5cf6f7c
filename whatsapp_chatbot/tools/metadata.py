"""DocType and field names the model proposes are checked against the site's metadata before any
query is built: there is no free SQL, and no way to name a column that does not exist."""

from __future__ import annotations

import frappe
from frappe import _

from whatsapp_chatbot.tools import data
from whatsapp_chatbot.tools.errors import CommandError

STANDARD_FIELDS = {
	"name": "Data",
	"owner": "Link",
	"creation": "Datetime",
	"modified": "Datetime",
	"modified_by": "Link",
	"docstatus": "Int",
	"idx": "Int",
}
NUMERIC_TYPES = {"Currency", "Float", "Int", "Percent"}
DATE_TYPES = {"Date", "Datetime"}
HIDDEN_TYPES = {"Password", "Attach", "Attach Image", "Code", "HTML", "Signature"}
OPERATORS = ["=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is"]


def doctype(name: str):
	"""The meta of a DocType a chat user may query (on the site the command runs on): it exists, is
	not a child table or single."""
	meta = data.current().meta(name)
	if meta.istable or meta.issingle:
		raise CommandError(_("{doctype} cannot be listed on its own.").format(doctype=_(meta.name)))
	return meta


def readable_document(doctype_name: str, name: str, meta=None):
	"""A document of a queryable DocType that the session user may read (PermissionError if not)."""
	meta = meta or doctype(doctype_name)
	return data.current().get_doc(meta.name, name)


def field(meta, fieldname: str, types: set[str] | None = None) -> str:
	fieldname = (fieldname or "").strip()
	if fieldname in STANDARD_FIELDS:
		if types and STANDARD_FIELDS[fieldname] not in types:
			raise CommandError(_("{field} cannot be used here.").format(field=fieldname))
		return fieldname
	df = meta.get_field(fieldname)
	if (
		not df
		or df.fieldtype in HIDDEN_TYPES
		or df.fieldtype in frappe.model.table_fields
		or df.fieldtype in frappe.model.no_value_fields
	):
		raise CommandError(
			_("{doctype} has no field “{field}”.").format(doctype=_(meta.name), field=fieldname)
		)
	if types and df.fieldtype not in types:
		raise CommandError(
			_("{doctype}.{field} is not a {types} field.").format(
				doctype=meta.name, field=fieldname, types=", ".join(_(t) for t in sorted(types))
			)
		)
	return fieldname


def parse_condition(text: str) -> tuple[str, str, str]:
	"""'posting_date >= 2026-01-01' → ('posting_date', '>=', '2026-01-01')."""
	field_name, _space, rest = (text or "").strip().partition(" ")
	rest = rest.strip()
	for operator in sorted(OPERATORS, key=len, reverse=True):  # ">=" before ">", "not in" before "in"
		if rest.lower().startswith(operator + " ") or rest.lower() == operator:
			return field_name, operator, rest[len(operator) :].strip().strip("'\"")
	raise CommandError(
		_("Cannot read the condition “{condition}”: use 'field operator value'.").format(condition=text)
	)


def filters(meta, conditions: list[str] | None) -> list[list]:
	"""["field operator value", …] → Frappe filters, every field and operator checked."""
	result = []
	for condition in conditions or []:
		fieldname, operator, value = parse_condition(condition)
		if operator in ("in", "not in"):
			value = [v.strip() for v in value.split(",") if v.strip()]
		if operator == "is" and value not in ("set", "not set"):
			raise CommandError(_("The operator 'is' takes 'set' or 'not set'."))
		result.append([meta.name, field(meta, fieldname), operator, value])
	return result


def readable_fields(meta, limit: int = 12) -> list[str]:
	"""A sensible default column set: the title and the fields shown in list view."""
	fields = ["name"]
	if meta.title_field and meta.title_field != "name":
		fields.append(meta.title_field)
	for df in meta.fields:
		if (
			df.in_list_view
			and df.fieldtype not in HIDDEN_TYPES
			and df.fieldtype not in frappe.model.no_value_fields
		):
			if df.fieldtype not in frappe.model.table_fields and df.fieldname not in fields:
				fields.append(df.fieldname)
	return fields[:limit]
