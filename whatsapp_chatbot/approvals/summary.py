"""Any document as an approver reads it on a phone: its party, its total, a few of its lines.

Nothing here knows a DocType. The party is the first of the usual name fields the DocType has
(supplier_name, customer_name, employee_name…) or its title field; the total the first of the
usual amount fields; the lines come from its first child table (item, quantity, amount). Leave
Applications, Expense Claims, Material Requests and a company's own DocTypes read the same way.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt

from whatsapp_chatbot import i18n
from whatsapp_chatbot.approvals.message import Summary

PARTY_FIELDS = (
	"supplier_name",
	"customer_name",
	"employee_name",
	"party_name",
	"title",
	"supplier",
	"customer",
	"employee",
	"party",
)
AMOUNT_FIELDS = (
	"grand_total",
	"rounded_total",
	"total_claimed_amount",
	"total_sanctioned_amount",
	"total_amount",
	"total",
	"amount",
)
LINE_LABEL_FIELDS = ("item_name", "item_code", "expense_type", "description", "title")
LINE_QTY_FIELDS = ("qty", "stock_qty")
LINE_AMOUNT_FIELDS = ("amount", "sanctioned_amount", "base_amount")
SHOWN_LINES = 3


def of(doc, state: str, requested_by: str | None = None) -> Summary:
	"""In the language being spoken (i18n.speaking): labels and numbers follow it."""
	lines, more = _lines(doc)
	return Summary(
		doctype=_(doc.doctype),
		name=doc.name,
		state=_(state or ""),
		party=party(doc),
		amount=amount(doc),
		requested_by=full_name(requested_by),
		lines=lines,
		more_lines=more,
	)


def party(doc) -> str:
	meta = doc.meta
	candidates = [*PARTY_FIELDS, meta.title_field] if meta.title_field else PARTY_FIELDS
	for fieldname in candidates:
		value = doc.get(fieldname) if meta.has_field(fieldname) else None
		if value and isinstance(value, str) and value != doc.name:
			return value.strip()
	return ""


def amount(doc) -> str:
	for fieldname in AMOUNT_FIELDS:
		field = doc.meta.get_field(fieldname)
		if field and field.fieldtype == "Currency" and flt(doc.get(fieldname)):
			return i18n.money(doc.get(fieldname), currency(doc))
	return ""


def currency(doc) -> str | None:
	if doc.get("currency"):
		return doc.currency
	company = doc.get("company")
	return frappe.get_cached_value("Company", company, "default_currency") if company else None


def _lines(doc) -> tuple[list[str], int]:
	"""Up to three rows of the first child table that has any: "• qty x item = amount"."""
	for field in doc.meta.get_table_fields():
		rows = doc.get(field.fieldname) or []
		if not rows:
			continue
		shown = [_line(doc, row) for row in rows[:SHOWN_LINES]]
		return [line for line in shown if line], max(0, len(rows) - SHOWN_LINES)
	return [], 0


def _line(doc, row) -> str:
	label = next((str(row.get(f)) for f in LINE_LABEL_FIELDS if row.get(f)), "")
	if not label:
		return ""
	label = " ".join(label.split())[:60]
	qty = next((row.get(f) for f in LINE_QTY_FIELDS if row.get(f) is not None), None)
	value = next((row.get(f) for f in LINE_AMOUNT_FIELDS if row.get(f)), None)
	line = f"• {i18n.number(qty)} x {label}" if qty is not None else f"• {label}"
	return f"{line} = {i18n.money(value, currency(doc))}" if value else line


def full_name(user: str | None) -> str:
	if not user:
		return ""
	return frappe.db.get_value("User", user, "full_name") or user
