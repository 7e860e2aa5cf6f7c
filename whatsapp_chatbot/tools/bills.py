"""A supplier's bill (photo or PDF) becomes a draft Purchase Invoice.

The model reads the bill and calls the command with what it read; everything it read is then
matched here, as the user, against ERPNext: the supplier by tax id, then by name (several or none:
the user is asked; a supplier is never created from a bill), each line to an Item (its code, its
supplier part number, its name) or, when the user says so, the whole bill on the default expense
item from Settings. The preview shows what was read next to what was matched, and says so when the
lines do not add up to the bill's total. After Confirm the draft is inserted as the user, with the
original file attached.
"""

from __future__ import annotations

import re

import frappe
from frappe.utils import flt, getdate, nowdate

from whatsapp_chatbot.media.current import media_file
from whatsapp_chatbot.tools.erpnext import money
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.media import attach_file, media_command
from whatsapp_chatbot.tools.registry import WRITE, Result
from whatsapp_chatbot.tools.schema import Param

DOCTYPE = "Purchase Invoice"
TOLERANCE = 0.01
BILL_LINE = Param(
	"object",
	"",
	properties={
		"description": Param("string", "as printed, or the user's item code", max_length=300),
		"qty": Param("number", "", minimum=0.000001),
		"rate": Param("number", "unit price before tax", minimum=0),
	},
)


def match_supplier(name: str | None, tax_id: str | None) -> tuple[str, str]:
	"""(Supplier, how it was matched); CommandError asking the user when several or none match."""
	tax_id = (tax_id or "").strip()
	if tax_id:
		compact = re.sub(r"[^0-9A-Za-z]", "", tax_id)
		for value in dict.fromkeys((tax_id, compact, compact.upper())):
			found = frappe.get_list(
				"Supplier", filters={"tax_id": value, "disabled": 0}, pluck="name", limit_page_length=6
			)
			if len(found) == 1:
				return found[0], f"tax id {tax_id}"
			if len(found) > 1:
				raise CommandError(
					f"Several suppliers have tax id {tax_id}: {', '.join(found[:5])}. Ask the user which one."
				)
	name = (name or "").strip()
	if name:
		for filters in ({"supplier_name": name}, {"supplier_name": ("like", f"%{name}%")}):
			found = frappe.get_list(
				"Supplier", filters={**filters, "disabled": 0}, pluck="name", limit_page_length=6
			)
			if len(found) == 1:
				return found[0], "name"
			if len(found) > 1:
				raise CommandError(
					f"Several suppliers match {name!r}: {', '.join(found[:5])}. Ask the user which one."
				)
	read = " / ".join(x for x in (repr(name) if name else "", f"tax id {tax_id}" if tax_id else "") if x)
	raise CommandError(
		f"No supplier in ERPNext matches {read or 'the bill'} (or the user may not see it). Suppliers "
		"are never created from a bill: ask the user which existing supplier it is, or to create it first."
	)


def match_item(line: dict, supplier: str) -> tuple[str | None, str]:
	"""(Item code, how) for one line; (None, "") when nothing matches unambiguously."""
	description = (line.get("description") or "").strip()
	if not description:
		return None, ""
	code = frappe.get_list("Item", filters={"name": description, "disabled": 0}, pluck="name")
	if code:
		return code[0], "code"
	# the supplier's own code for the item (Item → Supplier Items); the Item must be readable
	parents = frappe.get_all(
		"Item Supplier",
		filters={"supplier": supplier, "supplier_part_no": description, "parenttype": "Item"},
		pluck="parent",
	)
	if parents:
		readable = frappe.get_list("Item", filters={"name": ("in", parents)}, pluck="name")
		if len(readable) == 1:
			return readable[0], "supplier part no"
	for filters in (
		{"item_name": description},
		{"item_name": ("like", f"%{description}%")},
	):
		found = frappe.get_list("Item", filters={**filters, "disabled": 0}, pluck="name", limit_page_length=3)
		if len(found) == 1:
			return found[0], "name"
		if len(found) > 1:
			return None, ""
	return None, ""


def _company() -> str:
	company = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
		"Global Defaults", "default_company"
	)
	if not company:
		raise CommandError("No default company is set for your user.")
	return company


def build(
	supplier_name,
	supplier_tax_id,
	bill_no,
	bill_date,
	lines,
	total,
	taxes,
	one_expense_line,
	media,
):
	"""The unsaved draft, and the lines of the preview (what was read, what was matched, checks)."""
	source = media_file(media)
	if not frappe.has_permission(DOCTYPE, "create"):
		raise frappe.PermissionError(f"You may not create {DOCTYPE}")
	supplier, supplier_how = match_supplier(supplier_name, supplier_tax_id)
	if bill_no:
		existing = frappe.get_list(
			DOCTYPE,
			filters={"supplier": supplier, "bill_no": bill_no, "docstatus": ("<", 2)},
			pluck="name",
			limit_page_length=1,
		)
		if existing:
			raise CommandError(f"Bill {bill_no} of {supplier} is already in ERPNext as {existing[0]}.")
	company = _company()
	currency = frappe.get_cached_value("Company", company, "default_currency")
	doc = frappe.new_doc(DOCTYPE)
	doc.company = company
	doc.currency = currency
	doc.supplier = supplier
	doc.bill_no = bill_no
	doc.bill_date = getdate(bill_date) if bill_date else None
	doc.posting_date = nowdate()
	doc.buying_price_list = frappe.db.get_value(
		"Supplier", supplier, "default_price_list"
	) or frappe.db.get_single_value("Buying Settings", "buying_price_list")

	read_sum = sum(flt(line["qty"]) * flt(line["rate"]) for line in lines)
	report = [
		f"*Read from {source.file_name}:* {supplier_name or '?'}"
		+ (f" (tax id {supplier_tax_id})" if supplier_tax_id else "")
		+ f", bill {bill_no or '?'} of {_date(bill_date)}, {len(lines)} line(s)"
		+ (f", total {money(total, currency)}" if total is not None else ""),
		f"*Supplier:* {supplier} (matched by {supplier_how})",
	]
	wanted = []  # (item_code, qty, rate, description)
	if one_expense_line:
		item = frappe.db.get_single_value("WhatsApp Chatbot Settings", "bill_expense_item")
		if not item:
			raise CommandError(
				"No default expense item is set in WhatsApp Chatbot Settings: match the lines to items "
				"instead, or ask a manager to set one."
			)
		summary = "; ".join(line.get("description") or "" for line in lines)
		wanted.append((item, 1.0, read_sum, f"{bill_no or 'Bill'}: {summary}"[:140]))
		report.append(f"• All {len(lines)} line(s) as one expense line on *{item}*")
	else:
		unmatched = []
		for index, line in enumerate(lines, start=1):
			code, how = match_item(line, supplier)
			if not code:
				unmatched.append(f"line {index} “{line.get('description')}”")
				continue
			wanted.append((code, flt(line["qty"]), flt(line["rate"]), None))
			shown = f" (read “{line.get('description')}”, by {how})" if how != "code" else ""
			report.append(
				f"• {flt(line['qty']):g} x {code}{shown} @ {money(line['rate'], currency)}"
				f" = {money(flt(line['qty']) * flt(line['rate']), currency)}"
			)
		if unmatched:
			raise CommandError(
				f"No single item matches {', '.join(unmatched)}. Ask the user for the item code of each, "
				"or whether to book the whole bill as one expense line."
			)
	for code, qty, rate, description in wanted:
		row = doc.append("items", {"item_code": code, "qty": qty})
		row.rate = rate
		if description:
			row.description = description
	doc.run_method("set_missing_values")
	for row, (_code, _qty, rate, description) in zip(doc.items, wanted, strict=True):
		row.rate = rate  # set_missing_values puts the price list rate back
		row.price_list_rate = row.price_list_rate or rate
		if description:
			row.description = description
	doc.run_method("calculate_taxes_and_totals")
	report += totals_check(lines, total, taxes, currency)
	report.append(f"*Draft total: {money(doc.grand_total, currency)}* · {source.file_name} will be attached")
	return doc, source, report


def _date(value) -> str:
	return frappe.format(getdate(value), {"fieldtype": "Date"}) if value else "?"


def totals_check(lines: list[dict], total, taxes, currency) -> list[str]:
	"""The preview's arithmetic: the lines (+ taxes) against the printed total."""
	notes = []
	lines_sum = sum(flt(line["qty"]) * flt(line["rate"]) for line in lines)
	if total is not None:
		expected = lines_sum + flt(taxes)
		taxes_text = f" + taxes {money(taxes, currency)}" if taxes else ""
		if abs(expected - flt(total)) > TOLERANCE:
			notes.append(
				f"⚠ The lines add up to {money(lines_sum, currency)}{taxes_text} = {money(expected, currency)}, "
				f"but the bill's total is {money(total, currency)} (difference "
				f"{money(flt(total) - expected, currency)}): check the reading before confirming."
			)
		else:
			notes.append(f"✓ Lines{taxes_text} add up to the bill's total ({money(total, currency)}).")
	if taxes:
		notes.append(
			"Taxes read from the bill are not added to the draft: ERPNext applies your own tax setup."
		)
	return notes


def _preview(**arguments) -> str:
	_doc, _source, report = build(**arguments)
	return "\n".join([f"*{DOCTYPE}* (draft) from a supplier's bill", *report])


@media_command(
	"draft_purchase_invoice_from_bill",
	"Draft a Purchase Invoice from the supplier bill (photo/PDF) the user sent.",
	{
		"supplier_name": Param("string", "", max_length=200),
		"supplier_tax_id": Param("string", "", required=False, max_length=40),
		"bill_no": Param("string", "supplier's invoice number", required=False, max_length=140),
		"bill_date": Param("date", "", required=False),
		"lines": Param("array", "", items=BILL_LINE, min_items=1),
		"total": Param("number", "grand total", required=False),
		"taxes": Param("number", "", required=False),
		"one_expense_line": Param("boolean", "only if the user asks so"),
	},
	kind=WRITE,
	doctypes=(DOCTYPE,),
	preview=_preview,
)
def draft_purchase_invoice_from_bill(**arguments) -> Result:
	doc, source, _report = build(**arguments)
	doc.insert()
	attach_file(source, doc)
	return Result(
		f"Created {DOCTYPE} *{doc.name}* (draft) for {doc.supplier}: "
		f"{money(doc.grand_total, doc.currency)}, with {source.file_name} attached.",
		data={"doctype": DOCTYPE, "name": doc.name, "grand_total": doc.grand_total, "docstatus": 0},
	)
