"""A table as an XLSX file: what an export, a SQL report and a long answer with rows send.

A module of its own so that whoever writes a sheet needs nothing of the export commands (which need
the command definitions, which run the SQL reports that write sheets).
"""

from __future__ import annotations

import datetime
import io

import openpyxl
from frappe.utils.xlsxutils import ILLEGAL_CHARACTERS_RE, get_excel_date_format, handle_html
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.workbook.child import INVALID_TITLE_REGEX

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(title: str, columns: list[str], rows: list[list]) -> bytes:
	"""The sheet as Frappe's make_xlsx writes it (HTML reduced to its text, dates in the site's
	format, bold header), except that a text starting with "=" stays text: openpyxl stores it as a
	formula, which the spreadsheet runs when the file is opened (=WEBSERVICE(…) or =HYPERLINK(…)
	with the sheet's cells in the URL send its data away). Rows stream through a write-only sheet."""
	workbook = openpyxl.Workbook(write_only=True)
	sheet = workbook.create_sheet(INVALID_TITLE_REGEX.sub(" ", title[:30]) or "Sheet1")
	dates = get_excel_date_format()
	sheet.append([_cell(sheet, label, dates, bold=True) for label in columns])
	for row in rows:
		sheet.append([_cell(sheet, value, dates) for value in row])
	buffer = io.BytesIO()
	workbook.save(buffer)
	return buffer.getvalue()


def _cell(sheet, value, dates: tuple[str, str], bold: bool = False):
	"""A plain value where openpyxl writes it as it is; a cell where it needs a type or a format."""
	if isinstance(value, str):
		value = ILLEGAL_CHARACTERS_RE.sub("", handle_html(value))
	formula_like = isinstance(value, str) and value.startswith("=")
	if not (bold or formula_like or isinstance(value, datetime.date)):
		return value  # most cells: no Cell object (an export may have 100,000 rows)
	cell = WriteOnlyCell(sheet, value=value)
	if formula_like:
		cell.data_type = "s"
	if isinstance(value, datetime.datetime):
		cell.number_format = " ".join(dates)
	elif isinstance(value, datetime.date):
		cell.number_format = dates[0]
	if bold:
		cell.font = Font(name="Calibri", bold=True)
	return cell
