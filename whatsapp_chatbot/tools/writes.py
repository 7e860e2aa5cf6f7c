"""Writes: draft sales documents, submit, cancel, ToDo, comment.

Each write has a `preview` that builds what would happen without saving it; the user sees the
preview with Confirm / Cancel buttons and the handler runs only on a confirmation
(tools/confirmation.py). Both run as the contact's User: inserts without ignore_permissions,
submit/cancel through the document's own permission checks.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate, nowdate

from whatsapp_chatbot import i18n
from whatsapp_chatbot.tools import data, metadata
from whatsapp_chatbot.tools.erpnext import money, resolve
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import WRITE, Result, command
from whatsapp_chatbot.tools.schema import Param

SALES_DOCTYPES = ["Quotation", "Sales Order", "Sales Invoice"]
LINE = Param(
	"object",
	"",
	properties={
		"item": Param("string", ""),
		"qty": Param("number", "", minimum=0.000001),
		"rate": Param("number", "null: price list", required=False, minimum=0),
	},
)


def build_sales_document(doctype, customer, items, delivery_date=None):
	"""The unsaved document with prices and totals, as ERPNext would fill them."""
	if doctype not in SALES_DOCTYPES:
		raise _not_a_sales_doctype(doctype)
	customer = resolve("Customer", customer, "customer_name")
	company = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
		"Global Defaults", "default_company"
	)
	if not company:
		raise CommandError(_("No default company is set for your user."))
	doc = frappe.new_doc(doctype)
	doc.company = company
	# without it ERPNext takes the site's default currency and asks for an exchange rate
	doc.currency = frappe.get_cached_value("Company", company, "default_currency")
	if doctype == "Quotation":
		doc.quotation_to = "Customer"
		doc.party_name = customer
	else:
		doc.customer = customer
	# Quotations do not look the customer's price list up by themselves
	doc.selling_price_list = frappe.db.get_value(
		"Customer", customer, "default_price_list"
	) or frappe.db.get_single_value("Selling Settings", "selling_price_list")
	if doctype == "Sales Order":
		doc.delivery_date = getdate(delivery_date) if delivery_date else add_days(nowdate(), 7)
	if doctype == "Sales Invoice":
		doc.due_date = None
	for line in items:
		row = doc.append(
			"items", {"item_code": resolve("Item", line["item"], "item_name"), "qty": flt(line["qty"])}
		)
		if line.get("rate") is not None:
			row.rate = flt(line["rate"])
		if doctype == "Sales Order":
			row.delivery_date = doc.delivery_date
	doc.run_method("set_missing_values")
	for row, line in zip(doc.items, items, strict=True):
		if line.get("rate") is not None:  # set_missing_values puts the price list rate back
			row.rate = flt(line["rate"])
			row.price_list_rate = row.price_list_rate or row.rate
	doc.run_method("calculate_taxes_and_totals")
	return doc


def _not_a_sales_doctype(doctype) -> CommandError:
	return CommandError(
		_("I can create {doctypes}, not {doctype}.").format(
			doctypes=", ".join(_(d) for d in SALES_DOCTYPES), doctype=_(doctype)
		)
	)


def describe(doc) -> str:
	party = doc.get("party_name") or doc.get("customer")
	lines = [_("*{doctype}* (draft) for *{party}*").format(doctype=_(doc.doctype), party=party)]
	lines += [
		f"• {i18n.number(row.qty)} x {row.item_code} @ {money(row.rate, doc.currency)} = {money(row.amount, doc.currency)}"
		for row in doc.items
	]
	if flt(doc.total_taxes_and_charges):
		lines.append(_("Taxes: {amount}").format(amount=money(doc.total_taxes_and_charges, doc.currency)))
	lines.append(_("*Total: {amount}*").format(amount=money(doc.grand_total, doc.currency)))
	return "\n".join(lines)


def remote_sales_values(doctype, customer, items, delivery_date=None) -> dict:
	"""The document to insert on a remote site: names resolved there; prices, taxes and totals are
	filled by the remote ERPNext when it saves, from its own price lists and the remote user's
	defaults (company, currency)."""
	if doctype not in SALES_DOCTYPES:
		raise _not_a_sales_doctype(doctype)
	customer = resolve("Customer", customer, "customer_name")
	values = {"doctype": doctype, "items": []}
	values.update(
		{"quotation_to": "Customer", "party_name": customer}
		if doctype == "Quotation"
		else {"customer": customer}
	)
	if doctype == "Sales Order":
		values["delivery_date"] = str(getdate(delivery_date) if delivery_date else add_days(nowdate(), 7))
	for line in items:
		row = {"item_code": resolve("Item", line["item"], "item_name"), "qty": flt(line["qty"])}
		if line.get("rate") is not None:
			row["rate"] = flt(line["rate"])
		if doctype == "Sales Order":
			row["delivery_date"] = values["delivery_date"]
		values["items"].append(row)
	return values


def _preview_sales(doctype, customer, items, delivery_date=None) -> str:
	source = data.current()
	if not source.remote:
		return describe(build_sales_document(doctype, customer, items, delivery_date))
	values = remote_sales_values(doctype, customer, items, delivery_date)
	lines = [
		_("*{doctype}* (draft) on *{site}* for *{party}*").format(
			doctype=_(doctype), site=source.site, party=values.get("party_name") or values.get("customer")
		)
	]
	lines += [
		f"• {i18n.number(row['qty'])} x {row['item_code']}"
		+ (f" @ {money(row['rate'])}" if "rate" in row else "")
		for row in values["items"]
	]
	lines.append(_("Prices and taxes from the price list of {site}.").format(site=source.site))
	return "\n".join(lines)


@command(
	"create_sales_document",
	"Create a draft sales document for a customer.",
	{
		"doctype": Param("string", "", enum=SALES_DOCTYPES),
		"customer": Param("string", ""),
		"items": Param("array", "", items=LINE, min_items=1),
		"delivery_date": Param("date", "Sales Order only", required=False),
	},
	kind=WRITE,
	roles=("Sales User", "Sales Manager", "Accounts User", "Accounts Manager"),
	preview=_preview_sales,
	remote=True,
)
def create_sales_document(doctype, customer, items, delivery_date=None) -> Result:
	source = data.current()
	if source.remote:  # the remote site checks the remote user's permission as it inserts
		doc = source.insert(remote_sales_values(doctype, customer, items, delivery_date))
	else:
		if not frappe.has_permission(doctype, "create"):
			raise frappe.PermissionError(_("You may not create {doctype}").format(doctype=_(doctype)))
		doc = build_sales_document(doctype, customer, items, delivery_date)
		doc.insert()
	return Result(
		_("Created {doctype} *{name}* (draft): {amount}").format(
			doctype=_(doc.doctype), name=doc.name, amount=money(doc.grand_total, doc.currency)
		),
		data={"doctype": doc.doctype, "name": doc.name, "grand_total": doc.grand_total},
	)


DOC_REF = {
	"doctype": Param("string", ""),  # doctype and name: described once in interpreter/prompt.py
	"name": Param("string", ""),
}


def _submittable(doctype, name, docstatus: int):
	"""The document, if it is in `docstatus` (0: to submit, 1: to cancel)."""
	meta = metadata.doctype(doctype)
	if not meta.is_submittable:
		raise CommandError(
			_("{doctype} documents are not submitted or cancelled.").format(doctype=_(meta.name))
		)
	doc = metadata.readable_document(doctype, name, meta)
	if doc.docstatus != docstatus:
		# one whole sentence per case: word order differs between languages
		sentences = {
			(1, 0): _("{doctype} {name} is already submitted: it cannot be submitted."),
			(2, 0): _("{doctype} {name} is cancelled: it cannot be submitted."),
			(0, 1): _("{doctype} {name} is a draft: it cannot be cancelled."),
			(2, 1): _("{doctype} {name} is already cancelled: it cannot be cancelled."),
		}
		raise CommandError(
			sentences[(doc.docstatus, docstatus)].format(doctype=_(doc.doctype), name=doc.name)
		)
	return doc


def _summary(doc) -> str:
	total = doc.get("grand_total")
	party = doc.get("customer") or doc.get("supplier") or doc.get("party_name") or ""
	return (
		f"{_(doc.doctype)} *{doc.name}*"
		+ (f" · {party}" if party else "")
		+ (f" · {money(total, doc.get('currency'))}" if total else "")
	)


@command(
	"submit_document",
	"Submit a draft document.",
	DOC_REF,
	kind=WRITE,
	preview=lambda doctype, name: _("Submit {document}?").format(
		document=_summary(_submittable(doctype, name, 0))
	),
	remote=True,
)
def submit_document(doctype, name) -> Result:
	doc = data.current().submit(_submittable(doctype, name, 0))
	return Result(
		_("Submitted {document}.").format(document=_summary(doc)),
		data={"doctype": doc.doctype, "name": doc.name, "docstatus": doc.docstatus},
	)


@command(
	"cancel_document",
	"Cancel a submitted document.",
	DOC_REF,
	kind=WRITE,
	preview=lambda doctype, name: _("Cancel {document}?").format(
		document=_summary(_submittable(doctype, name, 1))
	),
	remote=True,
)
def cancel_document(doctype, name) -> Result:
	doc = data.current().cancel(_submittable(doctype, name, 1))
	return Result(
		_("Cancelled {document}.").format(document=_summary(doc)),
		data={"doctype": doc.doctype, "name": doc.name, "docstatus": doc.docstatus},
	)


@command(
	"create_todo",
	"Create a ToDo for the user.",
	{
		"description": Param("string", "", max_length=1000),
		"date": Param("date", "", required=False),
	},
	kind=WRITE,
	doctypes=("ToDo",),
	preview=lambda description, date=None: (
		_("New ToDo for {date}: {description}").format(description=description, date=i18n.date(date))
		if date
		else _("New ToDo: {description}").format(description=description)
	),
)
def create_todo(description, date=None) -> Result:
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"description": description,
			"date": getdate(date) if date else None,
			"allocated_to": frappe.session.user,
		}
	).insert()
	return Result(_("ToDo created ({name}).").format(name=todo.name), data={"name": todo.name})


@command(
	"add_comment",
	"Add a comment to a document.",
	{**DOC_REF, "text": Param("string", "", max_length=2000)},
	kind=WRITE,
	preview=lambda doctype, name, text: _("Comment on {doctype} {name}: “{text}”").format(
		doctype=_(metadata.readable_document(doctype, name).doctype), name=name, text=text
	),
)
def add_comment(doctype, name, text) -> Result:
	doc = metadata.readable_document(doctype, name)
	comment = doc.add_comment("Comment", text)
	return Result(
		_("Comment added to {doctype} {name}.").format(doctype=_(doc.doctype), name=doc.name),
		data={"comment": comment.name},
	)
