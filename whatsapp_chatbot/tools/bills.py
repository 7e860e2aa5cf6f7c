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
from frappe import _
from frappe.utils import flt, getdate, nowdate

from whatsapp_chatbot import i18n
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
				return found[0], _("tax id {tax_id}").format(tax_id=tax_id)
			if len(found) > 1:
				raise CommandError(
					_("Several suppliers have tax id {tax_id}: {names}. Which one is it?").format(
						tax_id=tax_id, names=", ".join(found[:5])
					)
				)
	name = (name or "").strip()
	if name:
		for filters in ({"supplier_name": name}, {"supplier_name": ("like", f"%{name}%")}):
			found = frappe.get_list(
				"Supplier", filters={**filters, "disabled": 0}, pluck="name", limit_page_length=6
			)
			if len(found) == 1:
				return found[0], _("name")
			if len(found) > 1:
				raise CommandError(
					_("Several suppliers match “{supplier}”: {names}. Which one is it?").format(
						supplier=name, names=", ".join(found[:5])
					)
				)
	read = " / ".join(
		x
		for x in (f"“{name}”" if name else "", _("tax id {tax_id}").format(tax_id=tax_id) if tax_id else "")
		if x
	)
	raise CommandError(
		_(
			"No supplier in ERPNext matches {read} (or you may not see it). Suppliers are never created "
			"from a bill: say which existing supplier it is, or create it first."
		).format(read=read or "?")
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
			return readable[0], _("supplier part no")
	for filters in (
		{"item_name": description},
		{"item_name": ("like", f"%{description}%")},
	):
		found = frappe.get_list("Item", filters={**filters, "disabled": 0}, pluck="name", limit_page_length=3)
		if len(found) == 1:
			return found[0], _("name")
		if len(found) > 1:
			return None, ""
	return None, ""


def _company() -> str:
	company = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
		"Global Defaults", "default_company"
	)
	if not company:
		raise CommandError(_("No default company is set for your user."))
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
			raise CommandError(
				_("Bill {bill} of {supplier} is already in ERPNext as {name}.").format(
					bill=bill_no, supplier=supplier, name=existing[0]
				)
			)
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
	read = supplier_name or "?"
	if supplier_tax_id:
		read += f" ({_('tax id {tax_id}').format(tax_id=supplier_tax_id)})"
	report = [
		_("*Read from {file}:* {supplier}, bill {bill} of {date}, {count} line(s)").format(
			file=source.file_name, supplier=read, bill=bill_no or "?", date=_date(bill_date), count=len(lines)
		)
		+ (", " + _("total {amount}").format(amount=money(total, currency)) if total is not None else ""),
		_("*Supplier:* {supplier} (matched by {how})").format(supplier=supplier, how=supplier_how),
	]
	wanted = []  # (item_code, qty, rate, description)
	if one_expense_line:
		item = frappe.db.get_single_value("WhatsApp Chatbot Settings", "bill_expense_item")
		if not item:
			raise CommandError(
				_(
					"No default expense item is set in WhatsApp Chatbot Settings: match the lines to items "
					"instead, or ask a manager to set one."
				)
			)
		summary = "; ".join(line.get("description") or "" for line in lines)
		wanted.append((item, 1.0, read_sum, f"{bill_no or _('Bill')}: {summary}"[:140]))
		report.append(
			_("• All {count} line(s) as one expense line on *{item}*").format(count=len(lines), item=item)
		)
	else:
		unmatched = []
		for index, line in enumerate(lines, start=1):
			code, how = match_item(line, supplier)
			if not code:
				unmatched.append(
					_("line {number} “{description}”").format(
						number=index, description=line.get("description")
					)
				)
				continue
			wanted.append((code, flt(line["qty"]), flt(line["rate"]), None))
			shown = (
				" ("
				+ _("read “{description}”, by {how}").format(description=line.get("description"), how=how)
				+ ")"
				if how != "code"
				else ""
			)
			report.append(
				f"• {i18n.number(line['qty'])} x {code}{shown} @ {money(line['rate'], currency)}"
				f" = {money(flt(line['qty']) * flt(line['rate']), currency)}"
			)
		if unmatched:
			raise CommandError(
				_(
					"No single item matches {lines}. Say the item code of each, or whether to book the whole "
					"bill as one expense line."
				).format(lines=", ".join(unmatched))
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
	report.append(
		_("*Draft total: {amount}* · {file} will be attached").format(
			amount=money(doc.grand_total, currency), file=source.file_name
		)
	)
	return doc, source, report


def _date(value) -> str:
	return i18n.date(value) if value else "?"


def totals_check(lines: list[dict], total, taxes, currency) -> list[str]:
	"""The preview's arithmetic: the lines (+ taxes) against the printed total."""
	notes = []
	lines_sum = sum(flt(line["qty"]) * flt(line["rate"]) for line in lines)
	if total is not None:
		expected = lines_sum + flt(taxes)
		amounts = {
			"lines": money(lines_sum, currency),
			"taxes": money(taxes, currency),
			"expected": money(expected, currency),
			"total": money(total, currency),
			"difference": money(flt(total) - expected, currency),
		}
		if abs(expected - flt(total)) > TOLERANCE:
			mismatch = (
				_(
					"⚠ The lines add up to {lines} + taxes {taxes} = {expected}, but the bill's total is "
					"{total} (difference {difference}): check the reading before confirming."
				)
				if taxes
				else _(
					"⚠ The lines add up to {expected}, but the bill's total is {total} (difference "
					"{difference}): check the reading before confirming."
				)
			)
			notes.append(mismatch.format(**amounts))
		else:
			matched = (
				_("✓ Lines + taxes {taxes} add up to the bill's total ({total}).")
				if taxes
				else _("✓ Lines add up to the bill's total ({total}).")
			)
			notes.append(matched.format(**amounts))
	if taxes:
		notes.append(
			_("Taxes read from the bill are not added to the draft: ERPNext applies your own tax setup.")
		)
	return notes


def _preview(**arguments) -> str:
	_doc, _source, report = build(**arguments)
	return "\n".join([_("*{doctype}* (draft) from a supplier's bill").format(doctype=_(DOCTYPE)), *report])


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
		_("Created {doctype} *{name}* (draft) for {supplier}: {amount}, with {file} attached.").format(
			doctype=_(DOCTYPE),
			name=doc.name,
			supplier=doc.supplier,
			amount=money(doc.grand_total, doc.currency),
			file=source.file_name,
		),
		data={"doctype": DOCTYPE, "name": doc.name, "grand_total": doc.grand_total, "docstatus": 0},
	)
