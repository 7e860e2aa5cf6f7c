"""Exports that may take minutes: a filtered list of any readable DocType as XLSX, and any Query or
Script Report the user may run, as XLSX or PDF. Both are long commands: above the size threshold
they run on the `long` queue with progress; below it they run at once and still send the file.
Built with what Frappe has: frappe.utils.xlsxutils (openpyxl) and frappe.utils.pdf (wkhtmltopdf);
the PDF's page is tools/report_html (what users type and reports return is text there, never markup).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate

from whatsapp_chatbot import i18n
from whatsapp_chatbot.realtime import progress
from whatsapp_chatbot.tools import data, metadata, report_html
from whatsapp_chatbot.tools.definitions import with_default_company
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.generic import DOCTYPE, FILTERS
from whatsapp_chatbot.tools.registry import LONG, Result, command
from whatsapp_chatbot.tools.schema import Param
from whatsapp_chatbot.tools.spreadsheet import XLSX_MIME, xlsx

PAGE = 500
MAX_EXPORT_ROWS = 100_000


def _list_size(doctype, filters=None, **_ignored) -> Result:
	meta = metadata.doctype(doctype)
	return Result("", data=data.current().count(meta.name, metadata.filters(meta, filters)))


@command(
	"export_list",
	"Send documents as an XLSX file.",
	{
		"doctype": DOCTYPE,
		"filters": FILTERS,
		"fields": Param("array", "null: list view's", required=False, items=Param("string", "")),
		"limit": Param("integer", "null: all", required=False, minimum=1, maximum=MAX_EXPORT_ROWS),
	},
	kind=LONG,
	extra={"estimate": _list_size},
	remote=True,
)
def export_list(doctype, filters=None, fields=None, limit=None) -> Result:
	meta = metadata.doctype(doctype)
	conditions = metadata.filters(meta, filters)
	columns = [metadata.field(meta, f) for f in fields] if fields else metadata.readable_fields(meta)
	total = min(_list_size(doctype, filters).data, limit or MAX_EXPORT_ROWS)
	rows: list[list] = []
	while len(rows) < total:
		progress.check_cancelled()
		page = data.current().get_list(
			meta.name,
			filters=conditions,
			fields=columns,
			order_by=f"`tab{meta.name}`.`creation` asc, `tab{meta.name}`.`name` asc",
			limit_start=len(rows),
			limit_page_length=min(PAGE, total - len(rows)),
			as_list=True,
		)
		if not page:
			break
		rows += [list(r) for r in page]
		progress.report(90 * len(rows) / total, f"{len(rows)}/{total}")
	# the file speaks the reader's language: its name, its sheet, its column headings
	labels = [_(meta.get_label(c)) if c not in metadata.STANDARD_FIELDS else c for c in columns]
	content = xlsx(_(meta.name), labels, rows)
	filename = i18n.file_name(meta.name, "xlsx")
	return Result(
		f"{_(meta.name)}: {_rows(len(rows))}",
		data={"doctype": meta.name, "rows_exported": len(rows)},
		attachment=(filename, content, XLSX_MIME),
	)


FILTER_PAIR = Param("object", "", properties={"name": Param("string", ""), "value": Param("string", "")})


def _report_size(report, filters=None, file_format=None) -> Result:
	"""Days covered by the report's date filters: a year of General Ledger is a long job."""
	values = _filters(filters)
	start = values.get("from_date") or values.get("period_start_date")
	end = values.get("to_date") or values.get("period_end_date") or values.get("report_date")
	days = (getdate(end) - getdate(start)).days if start and end else 0
	return Result("", data=days)


@command(
	"export_report",
	"Send a report (General Ledger, Stock Balance…) as a file.",
	{
		"report": Param("string", ""),
		"filters": Param("array", "e.g. from_date, to_date", required=False, items=FILTER_PAIR),
		"file_format": Param("string", "", enum=["xlsx", "pdf"], required=False),
	},
	kind=LONG,
	extra={"estimate": _report_size},
	remote=True,
)
def export_report(report, filters=None, file_format=None) -> Result:
	source = data.current()
	name = source.report_name(report)
	if not name:
		raise CommandError(_("There is no report called “{report}”.").format(report=report))
	values = _filters(filters)
	if not source.remote:  # there the remote user's own defaults apply
		with_default_company(values)
	title = _(name)  # "Accounts Receivable" is "Cuentas por cobrar" to a Spanish reader
	progress.report(10, title)
	progress.check_cancelled()
	output = source.run_report(name, values)
	progress.check_cancelled()
	progress.report(70, _rows(len(output.get("result") or [])))
	columns = [_column(c) for c in output.get("columns") or []]
	rows = [_row(r, columns) for r in output.get("result") or [] if r]
	labels = [_(c["label"]) for c in columns]
	if (file_format or "xlsx") == "pdf":
		content, filename, mime = (
			_pdf(title, values, labels, rows),
			i18n.file_name(name, "pdf"),
			"application/pdf",
		)
	else:
		content, filename, mime = xlsx(title, labels, rows), i18n.file_name(name, "xlsx"), XLSX_MIME
	progress.report(95, filename)
	return Result(
		f"{title}: {_rows(len(rows))}",
		data={"report": name, "rows": len(rows)},
		attachment=(filename, content, mime),
	)


def _rows(count: int) -> str:
	return _("{count} rows").format(count=i18n.number(count))


def _filters(filters) -> dict:
	return {f["name"]: f["value"] for f in filters or [] if f.get("name")}


def _column(column) -> dict:
	if isinstance(column, dict):
		return {
			"fieldname": column.get("fieldname") or column.get("label"),
			"label": column.get("label") or column.get("fieldname"),
		}
	label = str(column).split(":")[0]
	return {"fieldname": frappe.scrub(label), "label": label}


def _row(row, columns: list[dict]) -> list:
	if isinstance(row, dict):
		return [row.get(c["fieldname"]) for c in columns]
	return list(row)[: len(columns)]


def _pdf(title: str, filters: dict, labels: list[str], rows: list[list]) -> bytes:
	"""The report printed by wkhtmltopdf from a page that is all text (report_html: escaped, nothing
	on it to fetch), so a filter or a cell cannot make the server fetch a URL into the PDF."""
	from frappe.utils.pdf import get_pdf

	html = report_html.render(title, filters, labels, rows)
	return get_pdf(html, {"orientation": "Landscape"} if len(labels) > 6 else None)
