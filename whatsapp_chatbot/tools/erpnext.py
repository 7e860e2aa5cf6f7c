"""ERPNext reads people ask for on the phone: stock, prices, balances, overdue invoices, sales,
pending orders. All through frappe.get_list as the session user, so ERPNext's permissions hold."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate, nowdate

from whatsapp_chatbot import i18n
from whatsapp_chatbot.tools import data
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import Result, command
from whatsapp_chatbot.tools.schema import Param

# described once in the instructions (interpreter/prompt.py): item code or name; limit null: 10
ITEM = Param("string", "")
LIMIT = Param("integer", "", required=False, minimum=1, maximum=50)


def resolve(doctype: str, text: str, title_field: str) -> str:
	"""A document name from what the user typed: exact name, exact title, then a unique partial match."""
	text = (text or "").strip()
	if not text:
		raise CommandError(_("Which {doctype}?").format(doctype=_(doctype)))
	if data.current().exists(doctype, text):
		return text
	for filters in (
		{title_field: text},
		{title_field: ("like", f"%{text}%")},
		{"name": ("like", f"%{text}%")},
	):
		matches = data.current().get_list(doctype, filters=filters, pluck="name", limit_page_length=6)
		if len(matches) == 1:
			return matches[0]
		if len(matches) > 1:
			raise CommandError(
				_("Several {doctype} match “{text}”: {names}. Which one?").format(
					doctype=_(doctype), text=text, names=", ".join(matches[:5])
				)
			)
	raise CommandError(
		_("No {doctype} called “{text}” (or you may not see it).").format(doctype=_(doctype), text=text)
	)


money = i18n.money  # amounts in the site's number format, with the currency's symbol


@command(
	"stock_balance",
	"An item's stock per warehouse.",
	{"item": ITEM, "warehouse": Param("string", "", required=False)},
	doctypes=("Bin",),
	remote=True,
)
def stock_balance(item, warehouse=None) -> Result:
	item_code = resolve("Item", item, "item_name")
	filters = {"item_code": item_code}
	if warehouse:
		filters["warehouse"] = resolve("Warehouse", warehouse, "warehouse_name")
	rows = data.current().get_list(
		"Bin",
		filters=filters,
		fields=["warehouse", "actual_qty", "reserved_qty", "projected_qty"],
		order_by="actual_qty desc",
	)
	uom = data.current().value("Item", item_code, "stock_uom")
	total = sum(flt(r.actual_qty) for r in rows)
	lines = [
		(
			_("• {warehouse}: {qty} {uom} ({reserved} reserved)")
			if r.reserved_qty
			else "• {warehouse}: {qty} {uom}"
		).format(
			warehouse=r.warehouse,
			qty=i18n.number(r.actual_qty),
			uom=uom,
			reserved=i18n.number(r.reserved_qty),
		)
		for r in rows
		if r.actual_qty or r.reserved_qty
	]
	text = _("*{item}* stock: {qty} {uom}").format(item=item_code, qty=i18n.number(total), uom=uom)
	text += "\n" + "\n".join(lines) if lines else ""
	return Result(
		text,
		data={
			"item": item_code,
			"uom": uom,
			"total": total,
			"warehouses": [
				{"warehouse": r.warehouse, "qty": r.actual_qty, "reserved": r.reserved_qty} for r in rows
			],
		},
	)


@command(
	"item_price",
	"An item's price per price list.",
	{
		"item": ITEM,
		"price_list": Param("string", "null: every selling list", required=False),
	},
	doctypes=("Item Price",),
	remote=True,
)
def item_price(item, price_list=None) -> Result:
	item_code = resolve("Item", item, "item_name")
	filters = {"item_code": item_code}
	if price_list:
		filters["price_list"] = resolve("Price List", price_list, "price_list_name")
	else:
		filters["selling"] = 1
	rows = data.current().get_list(
		"Item Price",
		filters=filters,
		fields=["price_list", "price_list_rate", "currency", "uom"],
		order_by="price_list asc",
	)
	if not rows:
		return Result(
			_("{item} has no price in that list.").format(item=item_code),
			data={"item": item_code, "prices": []},
		)
	lines = [
		f"• {r.price_list}: {money(r.price_list_rate, r.currency)}" + (f" / {r.uom}" if r.uom else "")
		for r in rows
	]
	return Result(
		_("*{item}* price:").format(item=item_code) + "\n" + "\n".join(lines),
		data={"item": item_code, "prices": rows},
	)


@command(
	"party_balance",
	"What a customer owes us, or we owe a supplier.",
	{
		"party_type": Param("string", "", enum=["Customer", "Supplier"]),
		"party": Param("string", ""),
	},
	# either invoice DocType may be the one readable: get_list enforces the one asked for
	roles=(
		"Accounts User",
		"Accounts Manager",
		"Sales User",
		"Sales Manager",
		"Purchase User",
		"Purchase Manager",
	),
	remote=True,
)
def party_balance(party_type, party) -> Result:
	invoice = "Sales Invoice" if party_type == "Customer" else "Purchase Invoice"
	field = "customer" if party_type == "Customer" else "supplier"
	name = resolve(party_type, party, "customer_name" if party_type == "Customer" else "supplier_name")
	rows = data.current().get_list(
		invoice,
		filters={field: name, "docstatus": 1, "outstanding_amount": ("!=", 0)},
		fields=["currency", "sum(outstanding_amount) as outstanding", "count(name) as invoices"],
		group_by="currency",
	)
	if not rows:
		return Result(
			_("*{party}*: nothing outstanding.").format(party=name), data={"party": name, "outstanding": 0}
		)
	lines = [
		_("{amount} in {count} invoice(s)").format(
			amount=money(r.outstanding, r.currency), count=i18n.number(r.invoices)
		)
		for r in rows
	]
	return Result(
		_("*{party}* outstanding: {amounts}").format(party=name, amounts="; ".join(lines)),
		data={"party": name, "balances": rows},
	)


@command(
	"overdue_invoices",
	"Unpaid sales invoices past their due date.",
	{"customer": Param("string", "", required=False), "limit": LIMIT},
	doctypes=("Sales Invoice",),
	remote=True,
)
def overdue_invoices(customer=None, limit=None) -> Result:
	filters = {"docstatus": 1, "outstanding_amount": (">", 0), "due_date": ("<", nowdate())}
	if customer:
		filters["customer"] = resolve("Customer", customer, "customer_name")
	rows = data.current().get_list(
		"Sales Invoice",
		filters=filters,
		fields=["name", "customer", "due_date", "outstanding_amount", "currency"],
		order_by="due_date asc",
		limit_page_length=limit or 10,
	)
	if not rows:
		return Result(_("No overdue invoices."), data={"invoices": []})
	today = getdate()
	lines = [
		_("• {name} · {customer} · {amount} · {days} days late").format(
			name=r.name,
			customer=r.customer,
			amount=money(r.outstanding_amount, r.currency),
			days=(today - getdate(r.due_date)).days,
		)
		for r in rows
	]
	return Result(
		_("*Overdue invoices* ({count}):").format(count=len(rows)) + "\n" + "\n".join(lines),
		data={"invoices": rows},
	)


@command(
	"sales_summary",
	"Sales total, top customers and items of a period (submitted invoices).",
	{
		"from_date": Param("date", "null: 30 days ago", required=False),
		"to_date": Param("date", "null: today", required=False),
		"top": Param("integer", "null: 5", required=False, minimum=1, maximum=20),
	},
	doctypes=("Sales Invoice",),
)
def sales_summary(from_date=None, to_date=None, top=None) -> Result:
	start, end = getdate(from_date or add_days(nowdate(), -30)), getdate(to_date or nowdate())
	if start > end:
		raise CommandError(_("The period starts after it ends."))
	filters = {"docstatus": 1, "is_return": 0, "posting_date": ("between", [start, end])}
	top = top or 5
	totals = frappe.get_list(
		"Sales Invoice", filters=filters, fields=["sum(base_net_total) as total", "count(*) as invoices"]
	)
	customers = frappe.get_list(
		"Sales Invoice",
		filters=filters,
		fields=["customer", "sum(base_net_total) as total"],
		group_by="customer",
		order_by="total desc",
		limit_page_length=top,
	)
	items = frappe.get_list(
		"Sales Invoice",
		filters=filters,
		fields=[
			"`tabSales Invoice Item`.item_code as item_code",
			"sum(`tabSales Invoice Item`.base_net_amount) as total",
			"sum(`tabSales Invoice Item`.stock_qty) as qty",
		],
		group_by="`tabSales Invoice Item`.item_code",
		order_by="total desc",
		limit_page_length=top,
	)
	currency = frappe.db.get_default("currency")
	total = flt(totals[0].total) if totals else 0
	count = totals[0].invoices if totals else 0
	text = [
		_("*Sales {start} – {end}*: {amount} in {count} invoice(s)").format(
			start=i18n.date(start), end=i18n.date(end), amount=money(total, currency), count=count
		)
	]
	if customers:
		text.append(
			_("Top customers:")
			+ "\n"
			+ "\n".join(f"• {c.customer}: {money(c.total, currency)}" for c in customers)
		)
	if items:
		text.append(
			_("Top items:")
			+ "\n"
			+ "\n".join(f"• {i.item_code}: {money(i.total, currency)} ({i18n.number(i.qty)})" for i in items)
		)
	return Result(
		"\n".join(text),
		data={
			"from": str(start),
			"to": str(end),
			"total": total,
			"invoices": count,
			"top_customers": customers,
			"top_items": items,
		},
	)


@command(
	"pending_sales_orders",
	"Submitted sales orders not fully delivered.",
	{"customer": Param("string", "", required=False), "limit": LIMIT},
	doctypes=("Sales Order",),
	remote=True,
)
def pending_sales_orders(customer=None, limit=None) -> Result:
	return _pending_orders("Sales Order", "Customer", customer, "delivery_date", "per_delivered", limit)


@command(
	"pending_purchase_orders",
	"Submitted purchase orders not fully received.",
	{"supplier": Param("string", "", required=False), "limit": LIMIT},
	doctypes=("Purchase Order",),
	remote=True,
)
def pending_purchase_orders(supplier=None, limit=None) -> Result:
	return _pending_orders("Purchase Order", "Supplier", supplier, "schedule_date", "per_received", limit)


def _pending_words(doctype: str) -> tuple[str, str, str]:
	"""What each side of the business waits for, in the words of the answer: its title, what
	saying there is none, and one order's line."""
	if doctype == "Sales Order":
		return (
			_("Sales orders pending delivery"),
			_("No sales orders pending delivery."),
			_("• {name} · {party} · {amount} · delivery {date} · {percent}% delivered"),
		)
	return (
		_("Purchase orders pending receipt"),
		_("No purchase orders pending receipt."),
		_("• {name} · {party} · {amount} · expected {date} · {percent}% received"),
	)


def _pending_orders(doctype, party_type, party, date_field, percent_field, limit) -> Result:
	title, none_pending, line = _pending_words(doctype)
	party_field = frappe.scrub(party_type)
	filters = {
		"docstatus": 1,
		percent_field: ("<", 100),
		"status": ("not in", ["Closed", "On Hold", "Completed"]),
	}
	if party:
		filters[party_field] = resolve(party_type, party, f"{party_field}_name")
	rows = data.current().get_list(
		doctype,
		filters=filters,
		fields=["name", party_field, date_field, "grand_total", "currency", percent_field],
		order_by=f"{date_field} asc",
		limit_page_length=limit or 10,
	)
	if not rows:
		return Result(none_pending, data={"orders": []})
	lines = [
		line.format(
			name=r.name,
			party=r[party_field],
			amount=money(r.grand_total, r.currency),
			date=i18n.date(r[date_field]),
			percent=i18n.number(r[percent_field]),
		)
		for r in rows
	]
	return Result(f"*{title}*:\n" + "\n".join(lines), data={"orders": rows})
