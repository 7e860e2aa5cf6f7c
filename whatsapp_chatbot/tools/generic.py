"""Generic reads on any DocType the user may read: find, count, one document, totals by group.

Everything goes through frappe.get_list / get_doc + check_permission as the session user (the
contact's linked User), so Frappe's role permissions, user permissions and permission query
conditions decide what comes back. Names are checked against the metadata first (tools/metadata.py).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate

from whatsapp_chatbot.tools import data, metadata
from whatsapp_chatbot.tools.registry import Result, command
from whatsapp_chatbot.tools.schema import Param

MAX_ROWS = 50

# Conditions as short strings ("customer = Acme Corp") rather than objects: the same meaning for
# a third of the tokens, and the tools block is paid on every model call.
# described once in the instructions (interpreter/prompt.py): the filter syntax, what a doctype is
FILTERS = Param("array", "", required=False, items=Param("string", ""))
DOCTYPE = Param("string", "")


@command(
	"find_documents",
	"List or count documents of any DocType.",
	{
		"doctype": DOCTYPE,
		"filters": FILTERS,
		"fields": Param("array", "null: list view's", required=False, items=Param("string", "")),
		"order_by": Param("string", "field [asc|desc]", required=False),
		"limit": Param("integer", "", required=False, minimum=1, maximum=MAX_ROWS),
		"count_only": Param("boolean", "", required=False),
	},
	remote=True,
)
def find_documents(doctype, filters=None, fields=None, order_by=None, limit=None, count_only=None) -> Result:
	meta = metadata.doctype(doctype)
	conditions = metadata.filters(meta, filters)
	if count_only:
		count = data.current().count(meta.name, conditions)
		return Result(f"{_(meta.name)}: {count}", data={"doctype": meta.name, "count": count})
	columns = [metadata.field(meta, f) for f in fields] if fields else metadata.readable_fields(meta)
	rows = data.current().get_list(
		meta.name,
		filters=conditions,
		fields=columns,
		order_by=_order_by(meta, order_by),
		limit_page_length=limit or 10,
	)
	if not rows:
		return Result(
			_("No {doctype} matches.").format(doctype=_(meta.name)), data={"doctype": meta.name, "rows": []}
		)
	lines = [
		" · ".join(_show(meta, c, row.get(c)) for c in columns if row.get(c) not in (None, ""))
		for row in rows
	]
	return Result(
		f"*{_(meta.name)}* ({len(rows)}):\n" + "\n".join(f"• {line}" for line in lines),
		data={"doctype": meta.name, "rows": rows},
	)


@command(
	"get_document",
	"A document with its child rows.",
	{"doctype": DOCTYPE, "name": Param("string", "")},
	remote=True,
)
def get_document(doctype, name) -> Result:
	meta = metadata.doctype(doctype)
	doc = metadata.readable_document(doctype, name, meta)
	fields = {}
	lines = [f"*{_(meta.name)} {doc.name}*"]
	for df in meta.fields:
		value = doc.get(df.fieldname)
		if value in (None, "", 0, []) or df.fieldtype in metadata.HIDDEN_TYPES:
			continue
		if df.fieldtype in frappe.model.table_fields:
			child_meta = data.current().meta(df.options)
			columns = [c.fieldname for c in child_meta.fields if c.in_list_view][:5]
			fields[df.fieldname] = [{c: child.get(c) for c in columns} for child in value[:20]]
			lines.append(f"{_(df.label)}:")
			lines += [
				f"  • {' · '.join(_show(child_meta, c, child.get(c)) for c in columns if child.get(c))}"
				for child in value[:20]
			]
		elif df.permlevel == 0 and not df.hidden and df.fieldtype not in frappe.model.no_value_fields:
			fields[df.fieldname] = value
			lines.append(f"{_(df.label)}: {_show(meta, df.fieldname, value)}")
	return Result(
		"\n".join(lines[:60]),
		data={"doctype": meta.name, "name": doc.name, "docstatus": doc.docstatus, "fields": fields},
	)


@command(
	"totals_by_group",
	"Sum a field per value of another (e.g. grand_total per customer).",
	{
		"doctype": DOCTYPE,
		"sum_field": Param("string", ""),
		"group_by": Param("string", ""),
		"from_date": Param("date", "", required=False),
		"to_date": Param("date", "", required=False),
		"filters": FILTERS,
		"limit": Param("integer", "", required=False, minimum=1, maximum=MAX_ROWS),
	},
	remote=True,
)
def totals_by_group(
	doctype, sum_field, group_by, date_field=None, from_date=None, to_date=None, filters=None, limit=None
) -> Result:
	meta = metadata.doctype(doctype)
	sum_field = metadata.field(meta, sum_field, metadata.NUMERIC_TYPES)
	group_by = metadata.field(meta, group_by)
	conditions = metadata.filters(meta, filters)
	if meta.is_submittable:
		conditions.append([meta.name, "docstatus", "=", 1])
	if from_date or to_date:
		date_field = _period_field(meta)
		if from_date:
			conditions.append([meta.name, date_field, ">=", getdate(from_date)])
		if to_date:
			conditions.append([meta.name, date_field, "<=", getdate(to_date)])
	rows = data.current().get_list(
		meta.name,
		filters=conditions,
		fields=[f"`{group_by}` as group_value", f"sum(`{sum_field}`) as total", "count(name) as count"],
		group_by=group_by,
		order_by="total desc",
		limit_page_length=limit or 10,
	)
	lines = [
		f"• {row['group_value'] or '-'}: {_show(meta, sum_field, row['total'])} ({row['count']})"
		for row in rows
	]
	total = sum(row["total"] or 0 for row in rows)
	title = _("*{doctype}: {total} by {group}*").format(
		doctype=_(meta.name), total=_(meta.get_label(sum_field)), group=_(meta.get_label(group_by))
	)
	text = title + "\n" + ("\n".join(lines) or _("Nothing in that period."))
	return Result(text, data={"doctype": meta.name, "groups": rows, "total_of_shown": total})


def _period_field(meta) -> str:
	"""The date a period refers to: the posting date of transactions, else when it was created."""
	for fieldname in ("posting_date", "transaction_date", "date", "schedule_date"):
		df = meta.get_field(fieldname)
		if df and df.fieldtype in metadata.DATE_TYPES:
			return fieldname
	return "creation"


def _order_by(meta, order_by: str | None) -> str:
	if not order_by:
		return f"`tab{meta.name}`.`modified` desc"
	parts = order_by.split()
	direction = parts[1].lower() if len(parts) > 1 else "asc"
	if direction not in ("asc", "desc"):
		raise metadata.CommandError(_("Sort direction is asc or desc."))
	return f"`tab{meta.name}`.`{metadata.field(meta, parts[0])}` {direction}"


def _show(meta, fieldname: str, value) -> str:
	"""A value as the Desk would show it: currency, dates and numbers in the site's formats."""
	df = meta.get_field(fieldname)
	if df is None or value is None:
		return str(value)
	return (
		frappe.format(value, df)
		if df.fieldtype in metadata.NUMERIC_TYPES | metadata.DATE_TYPES
		else str(value)
	)
