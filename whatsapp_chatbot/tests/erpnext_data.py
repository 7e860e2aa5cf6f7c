"""ERPNext data the chatbot's tests ask about, built through ERPNext's own documents.

One company of its own ("Chatbot Test Co", MXN) so no other test's data leaks into the answers:
stock in two warehouses, prices, two customers and a supplier, sales invoices that are overdue,
current and paid, an open sales order and an open purchase order. No taxes anywhere, so every
amount below is a plain quantity x rate.

`make_erpnext_data()` commits, because the app's tests commit and run worker processes that must see
the data. The expected numbers are constants (the tests compare the app's answers with them, not
with a second reading of the database).

Dates are relative to the day the data is built (`Facts.anchor`): invoices are "60 days ago",
"due 3 days ago"... The constants only hold on that day, so when the day changes the next call
cancels and deletes the company's transactions and builds them again for today. Every posting date
is at least 10 days from a 30/90-day window boundary and every due date at least 3 days from today,
so a test run that crosses midnight still sees the same answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import frappe
from frappe.utils import add_days, flt, getdate

COMPANY = "Chatbot Test Co"
ABBR = "CTC"
CURRENCY = "MXN"
COUNTRY = "Mexico"
# "Standard Selling"/"Standard Buying" are in USD on this site: lists of our own, in MXN, keep the
# company's documents free of exchange rates.
SELLING_PRICE_LIST = "Chatbot Venta"
BUYING_PRICE_LIST = "Chatbot Compra"

WAREHOUSES = {
	"Stores": f"Stores - {ABBR}",
	"Tienda Centro": f"Tienda Centro - {ABBR}",
	"Finished Goods": f"Finished Goods - {ABBR}",
	"Work In Progress": f"Work In Progress - {ABBR}",
	"Goods In Transit": f"Goods In Transit - {ABBR}",
}
STORES = WAREHOUSES["Stores"]
TIENDA = WAREHOUSES["Tienda Centro"]

ITEMS = {"TORN-M8": "Tornillo M8", "TUERCA-M8": "Tuerca M8", "SKU-1": "Widget Azul", "SKU-2": "Widget Rojo"}
CUSTOMERS = ("Acme Corp", "Globex SA")
SUPPLIER = "Proveedora Norte"

SELLING_PRICES = {"TORN-M8": 2.50, "TUERCA-M8": 1.00, "SKU-1": 250.00, "SKU-2": 275.00}
BUYING_PRICES = {"SKU-1": 150.00}

# what the stock entries received, per (item, warehouse); SKU-2 never had stock
STOCK = {
	("TORN-M8", STORES): 120.0,
	("TORN-M8", TIENDA): 30.0,
	("TUERCA-M8", STORES): 500.0,
	("SKU-1", STORES): 50.0,
	("SKU-2", STORES): 0.0,
}
STOCK_BY_ITEM = {"TORN-M8": 150.0, "TUERCA-M8": 500.0, "SKU-1": 50.0, "SKU-2": 0.0}
VALUATION_RATES = {"TORN-M8": 1.20, "TUERCA-M8": 0.40, "SKU-1": 150.00}
STOCK_VALUE = {
	("TORN-M8", STORES): 144.0,
	("TORN-M8", TIENDA): 36.0,
	("TUERCA-M8", STORES): 200.0,
	("SKU-1", STORES): 7500.0,
}


@dataclass(frozen=True)
class _Invoice:
	customer: str
	posted: int  # days from the anchor
	due: int
	item: str
	qty: float
	rate: float
	paid_on: int | None = None  # paid in full by a Payment Entry that day


INVOICES = {
	"acme_overdue": _Invoice("Acme Corp", -60, -30, "SKU-1", 10, 250.00),
	"acme_current": _Invoice("Acme Corp", -5, 25, "TORN-M8", 100, 2.50),
	"globex_overdue": _Invoice("Globex SA", -10, -3, "SKU-2", 2, 275.00),
	"globex_paid": _Invoice("Globex SA", -20, 10, "SKU-1", 4, 250.00, paid_on=-15),
}
INVOICE_TOTALS = {
	"acme_overdue": 2500.0,
	"acme_current": 250.0,
	"globex_overdue": 550.0,
	"globex_paid": 1000.0,
}
OUTSTANDING = {"Acme Corp": 2750.0, "Globex SA": 550.0}
OVERDUE = {"Acme Corp": 2500.0, "Globex SA": 550.0}
OVERDUE_INVOICES = ("acme_overdue", "globex_overdue")
PAID = {"Globex SA": 1000.0}

# Submitted sales invoices with posting_date in [today - N days, today], keyed by N.
SALES_BY_CUSTOMER = {
	30: {"Acme Corp": 250.0, "Globex SA": 1550.0},
	90: {"Acme Corp": 2750.0, "Globex SA": 1550.0},
}
SALES_BY_ITEM = {
	30: {"TORN-M8": 250.0, "SKU-1": 1000.0, "SKU-2": 550.0},
	90: {"TORN-M8": 250.0, "SKU-1": 3500.0, "SKU-2": 550.0},
}
QTY_SOLD_BY_ITEM = {
	30: {"TORN-M8": 100.0, "SKU-1": 4.0, "SKU-2": 2.0},
	90: {"TORN-M8": 100.0, "SKU-1": 14.0, "SKU-2": 2.0},
}
SALES_TOTAL = {30: 1800.0, 90: 4300.0}

# open orders: placed on the anchor day, nothing delivered, received or billed
SALES_ORDER = {"customer": "Acme Corp", "item": "SKU-1", "qty": 5.0, "rate": 250.00, "delivery": 7}
SALES_ORDER_TOTAL = 1250.0
PURCHASE_ORDER = {"supplier": SUPPLIER, "item": "TUERCA-M8", "qty": 200.0, "rate": 0.40, "schedule": 10}
PURCHASE_ORDER_TOTAL = 80.0
RESERVED_QTY = {("SKU-1", STORES): 5.0}
ORDERED_QTY = {("TUERCA-M8", STORES): 200.0}
PROJECTED_QTY = {("SKU-1", STORES): 45.0, ("TUERCA-M8", STORES): 700.0}

# Bump when the data above changes: the next call rebuilds instead of trusting the marker.
DATA_VERSION = 1
MARKER_KEY = "whatsapp_chatbot_test_erpnext_data"
# Cancelled (then deleted) when rebuilding, in an order where nothing submitted still links to
# what is being cancelled. Stock is not in the list: it is brought back to STOCK by difference.
TRANSACTION_DOCTYPES = (
	"Payment Entry",
	"Journal Entry",
	"Sales Invoice",
	"Delivery Note",
	"Sales Order",
	"Quotation",
	"Purchase Invoice",
	"Purchase Receipt",
	"Purchase Order",
	"Material Request",
)


@dataclass(frozen=True)
class Facts:
	anchor: str  # the day the dated documents were built for (YYYY-MM-DD)
	company: str
	abbr: str
	currency: str
	warehouses: dict[str, str]
	items: dict[str, str]  # item_code -> item_name
	customers: tuple[str, ...]
	supplier: str
	selling_price_list: str
	buying_price_list: str
	selling_prices: dict[str, float]
	buying_prices: dict[str, float]
	stock: dict[tuple[str, str], float]
	stock_by_item: dict[str, float]
	valuation_rates: dict[str, float]
	invoices: dict[str, str]  # key of INVOICES -> Sales Invoice name
	invoice_totals: dict[str, float]  # key of INVOICES -> grand total
	payment_entry: str
	sales_order: str
	purchase_order: str
	outstanding: dict[str, float]
	overdue: dict[str, float]
	overdue_invoices: tuple[str, ...]  # Sales Invoice names
	sales_by_customer: dict[int, dict[str, float]]
	sales_by_item: dict[int, dict[str, float]]
	qty_sold_by_item: dict[int, dict[str, float]]
	sales_total: dict[int, float]
	sales_order_total: float
	purchase_order_total: float
	reserved_qty: dict[tuple[str, str], float]
	ordered_qty: dict[tuple[str, str], float]
	projected_qty: dict[tuple[str, str], float]


def make_erpnext_data(rebuild: bool = False) -> Facts:
	"""Make sure the data exists for today and return what tests may assert about it.

	Fast when it is already there (a marker lookup and a few existence checks). `rebuild=True`
	cancels and recreates the company's transactions even if the marker says they are current."""
	previous_user = frappe.session.user
	frappe.set_user("Administrator")
	try:
		anchor = str(getdate())
		marker = _read_marker()
		if not rebuild and marker and marker["anchor"] == anchor and _documents_exist(marker["names"]):
			# ERPNext's before_tests hook deletes every Item Price at the start of each test run
			if _ensure_prices():
				frappe.db.commit()
			return _facts(anchor, marker["names"])
		names = _build(getdate(anchor))
		frappe.db.set_global(
			MARKER_KEY, json.dumps({"version": DATA_VERSION, "anchor": anchor, "names": names})
		)
		frappe.db.commit()
		return _facts(anchor, names)
	except Exception:
		# a half-built company is rebuilt by the next call; nothing of it should ride on the
		# caller's next commit
		frappe.db.rollback()
		raise
	finally:
		frappe.set_user(previous_user)


def _read_marker() -> dict | None:
	raw = frappe.db.get_global(MARKER_KEY)
	if not raw:
		return None
	marker = json.loads(raw)
	return marker if marker.get("version") == DATA_VERSION else None


def _documents_exist(names: dict) -> bool:
	# someone may have cancelled or deleted a document since (or restored an older database)
	documents = [("Sales Invoice", name) for name in names["invoices"].values()]
	documents += [
		("Payment Entry", names["payment_entry"]),
		("Sales Order", names["sales_order"]),
		("Purchase Order", names["purchase_order"]),
	]
	return all(frappe.db.get_value(doctype, name, "docstatus") == 1 for doctype, name in documents)


def _facts(anchor: str, names: dict) -> Facts:
	invoices = names["invoices"]
	return Facts(
		anchor=anchor,
		company=COMPANY,
		abbr=ABBR,
		currency=CURRENCY,
		warehouses=dict(WAREHOUSES),
		items=dict(ITEMS),
		customers=CUSTOMERS,
		supplier=SUPPLIER,
		selling_price_list=SELLING_PRICE_LIST,
		buying_price_list=BUYING_PRICE_LIST,
		selling_prices=dict(SELLING_PRICES),
		buying_prices=dict(BUYING_PRICES),
		stock=dict(STOCK),
		stock_by_item=dict(STOCK_BY_ITEM),
		valuation_rates=dict(VALUATION_RATES),
		invoices=dict(invoices),
		invoice_totals=dict(INVOICE_TOTALS),
		payment_entry=names["payment_entry"],
		sales_order=names["sales_order"],
		purchase_order=names["purchase_order"],
		outstanding=dict(OUTSTANDING),
		overdue=dict(OVERDUE),
		overdue_invoices=tuple(invoices[key] for key in OVERDUE_INVOICES),
		sales_by_customer={days: dict(v) for days, v in SALES_BY_CUSTOMER.items()},
		sales_by_item={days: dict(v) for days, v in SALES_BY_ITEM.items()},
		qty_sold_by_item={days: dict(v) for days, v in QTY_SOLD_BY_ITEM.items()},
		sales_total=dict(SALES_TOTAL),
		sales_order_total=SALES_ORDER_TOTAL,
		purchase_order_total=PURCHASE_ORDER_TOTAL,
		reserved_qty=dict(RESERVED_QTY),
		ordered_qty=dict(ORDERED_QTY),
		projected_qty=dict(PROJECTED_QTY),
	)


def _build(anchor) -> dict:
	_ensure_company()
	_ensure_fiscal_years(anchor)
	_ensure_warehouse()
	_ensure_price_lists()
	_ensure_items()
	_ensure_prices()
	_ensure_parties()
	_clear_transactions()
	_ensure_stock()
	return _make_transactions(anchor)


# masters: created when missing, left alone when present


def _ensure_company():
	if frappe.db.exists("Company", COMPANY):
		return
	# another test may have left this flag on; without the chart there are no default accounts
	ignore_chart = frappe.local.flags.ignore_chart_of_accounts
	frappe.local.flags.ignore_chart_of_accounts = False
	try:
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": COMPANY,
				"abbr": ABBR,
				"default_currency": CURRENCY,
				"country": COUNTRY,
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert()
	finally:
		frappe.local.flags.ignore_chart_of_accounts = ignore_chart


def _ensure_fiscal_years(anchor):
	from erpnext.accounts.utils import get_fiscal_year

	# the invoices go back 60 days; 400 covers a "same month last year" question too
	start = add_days(anchor, -400)
	for year in range(start.year, anchor.year + 1):
		first, last = max(getdate(f"{year}-01-01"), start), min(getdate(f"{year}-12-31"), anchor)
		if get_fiscal_year(first, company=COMPANY, boolean=True) and get_fiscal_year(
			last, company=COMPANY, boolean=True
		):
			continue
		name = str(year) if not frappe.db.exists("Fiscal Year", str(year)) else f"{year} {ABBR}"
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": name,
				"year_start_date": f"{year}-01-01",
				"year_end_date": f"{year}-12-31",
				"companies": [{"company": COMPANY}],
			}
		).insert()
		frappe.cache.delete_value("fiscal_years")


def _ensure_warehouse():
	if frappe.db.exists("Warehouse", TIENDA):
		return
	frappe.get_doc(
		{
			"doctype": "Warehouse",
			"warehouse_name": "Tienda Centro",
			"company": COMPANY,
			"parent_warehouse": f"All Warehouses - {ABBR}",
		}
	).insert()


def _ensure_price_lists():
	for name, selling in ((SELLING_PRICE_LIST, 1), (BUYING_PRICE_LIST, 0)):
		if not frappe.db.exists("Price List", name):
			frappe.get_doc(
				{
					"doctype": "Price List",
					"price_list_name": name,
					"currency": CURRENCY,
					"selling": selling,
					"buying": 1 - selling,
					"enabled": 1,
				}
			).insert()


def _ensure_items():
	item_group = "Products" if frappe.db.exists("Item Group", "Products") else "All Item Groups"
	for code, name in ITEMS.items():
		if frappe.db.exists("Item", code):
			continue
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_name": name,
				"description": name,
				"item_group": item_group,
				"stock_uom": "Nos",
				"is_stock_item": 1,
				"valuation_rate": VALUATION_RATES.get(code, 0),
				"item_defaults": [
					{
						"company": COMPANY,
						"default_warehouse": STORES,
						"default_price_list": SELLING_PRICE_LIST,
					}
				],
			}
		).insert()


def _ensure_prices() -> bool:
	"""Returns whether anything had to be written."""
	changed = False
	for price_list, prices in ((SELLING_PRICE_LIST, SELLING_PRICES), (BUYING_PRICE_LIST, BUYING_PRICES)):
		for item_code, rate in prices.items():
			name = frappe.db.get_value("Item Price", {"price_list": price_list, "item_code": item_code})
			if not name:
				changed = True
				frappe.get_doc(
					{
						"doctype": "Item Price",
						"price_list": price_list,
						"item_code": item_code,
						"price_list_rate": rate,
					}
				).insert()
			elif flt(frappe.db.get_value("Item Price", name, "price_list_rate")) != rate:
				changed = True
				price = frappe.get_doc("Item Price", name)
				price.price_list_rate = rate
				price.save()
	return changed


def _ensure_parties():
	customer_group = (
		"Commercial" if frappe.db.exists("Customer Group", "Commercial") else "All Customer Groups"
	)
	for customer in CUSTOMERS:
		if not frappe.db.exists("Customer", customer):
			# set_name: the name must be the customer name even if the site names customers by series
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": customer,
					"customer_type": "Company",
					"customer_group": customer_group,
					"territory": "All Territories",
					"default_price_list": SELLING_PRICE_LIST,
				}
			).insert(set_name=customer)
	if not frappe.db.exists("Supplier", SUPPLIER):
		supplier_group = "Local" if frappe.db.exists("Supplier Group", "Local") else "All Supplier Groups"
		frappe.get_doc(
			{
				"doctype": "Supplier",
				"supplier_name": SUPPLIER,
				"supplier_group": supplier_group,
				"default_price_list": BUYING_PRICE_LIST,
			}
		).insert(set_name=SUPPLIER)


# transactions: the dated ones are rebuilt from scratch, stock is corrected by difference


def _clear_transactions():
	for doctype in TRANSACTION_DOCTYPES:
		for name in frappe.get_all(
			doctype, filters={"company": COMPANY, "docstatus": 1}, pluck="name", order_by="creation desc"
		):
			frappe.get_doc(doctype, name).cancel()
	# deleted, not just cancelled, so a query that forgets docstatus still sees only today's data
	for doctype in TRANSACTION_DOCTYPES:
		for name in frappe.get_all(doctype, filters={"company": COMPANY}, pluck="name"):
			frappe.delete_doc(doctype, name, force=True)


def _ensure_stock():
	company = frappe.get_cached_doc("Company", COMPANY)
	receipts, issues = [], []
	for (item_code, warehouse), qty in STOCK.items():
		actual = flt(
			frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, "actual_qty")
		)
		row = {
			"item_code": item_code,
			"qty": abs(qty - actual),
			"uom": "Nos",
			"conversion_factor": 1,
			"cost_center": company.cost_center,
			"expense_account": company.stock_adjustment_account,
		}
		if qty > actual:
			receipts.append({**row, "t_warehouse": warehouse, "basic_rate": VALUATION_RATES[item_code]})
		elif qty < actual:
			issues.append({**row, "s_warehouse": warehouse})
	for purpose, rows in (("Material Receipt", receipts), ("Material Issue", issues)):
		if rows:
			entry = frappe.get_doc(
				{
					"doctype": "Stock Entry",
					"stock_entry_type": purpose,
					"purpose": purpose,
					"company": COMPANY,
					"items": rows,
				}
			)
			entry.insert()
			entry.submit()


def _make_transactions(anchor) -> dict:
	invoices = {key: _make_invoice(anchor, spec) for key, spec in INVOICES.items()}
	(paid_key,) = [key for key, spec in INVOICES.items() if spec.paid_on is not None]
	return {
		"invoices": invoices,
		"payment_entry": _pay(invoices[paid_key], add_days(anchor, INVOICES[paid_key].paid_on)),
		"sales_order": _make_sales_order(anchor),
		"purchase_order": _make_purchase_order(anchor),
	}


def _submit_without_taxes(doc) -> str:
	# the company's country fixtures add tax templates; none may be applied by default
	doc.taxes_and_charges = None
	doc.set("taxes", [])
	doc.insert()
	if doc.taxes or doc.taxes_and_charges:
		doc.taxes_and_charges = None
		doc.set("taxes", [])
		doc.save()
	doc.submit()
	return doc.name


def _make_invoice(anchor, spec: _Invoice) -> str:
	company = frappe.get_cached_doc("Company", COMPANY)
	return _submit_without_taxes(
		frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"company": COMPANY,
				"customer": spec.customer,
				"currency": CURRENCY,
				"conversion_rate": 1,
				"selling_price_list": SELLING_PRICE_LIST,
				"set_posting_time": 1,
				"posting_date": add_days(anchor, spec.posted),
				"posting_time": "10:00:00",
				"due_date": add_days(anchor, spec.due),
				"debit_to": company.default_receivable_account,
				"update_stock": 0,
				"items": [
					{
						"item_code": spec.item,
						"qty": spec.qty,
						"rate": spec.rate,
						"warehouse": STORES,
						"income_account": company.default_income_account,
						"cost_center": company.cost_center,
					}
				],
			}
		)
	)


def _pay(invoice: str, posting_date) -> str:
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	company = frappe.get_cached_doc("Company", COMPANY)
	payment = get_payment_entry("Sales Invoice", invoice)
	payment.mode_of_payment = "Cash"
	payment.paid_to = company.default_cash_account
	payment.posting_date = posting_date
	payment.reference_no = invoice
	payment.reference_date = posting_date
	payment.insert()
	payment.submit()
	return payment.name


def _make_sales_order(anchor) -> str:
	order = SALES_ORDER
	return _submit_without_taxes(
		sales_order(anchor, order["customer"], order["item"], order["qty"], order["rate"], order["delivery"])
	)


def sales_order(anchor, customer: str, item: str, qty: float, rate: float, delivery_days: int = 7, **values):
	"""A Sales Order of the test company from its stores at the selling price list, not yet saved,
	with no taxes (the company's country fixtures would add some): the amounts stay as given."""
	delivery_date = add_days(anchor, delivery_days)
	doc = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"company": COMPANY,
			"customer": customer,
			"currency": CURRENCY,
			"conversion_rate": 1,
			"selling_price_list": SELLING_PRICE_LIST,
			"transaction_date": anchor,
			"delivery_date": delivery_date,
			"set_warehouse": STORES,
			"items": [
				{
					"item_code": item,
					"qty": qty,
					"rate": rate,
					"warehouse": STORES,
					"delivery_date": delivery_date,
				}
			],
			**values,
		}
	)
	doc.taxes_and_charges = None
	doc.set("taxes", [])
	return doc


def _make_purchase_order(anchor) -> str:
	schedule_date = add_days(anchor, PURCHASE_ORDER["schedule"])
	return _submit_without_taxes(
		frappe.get_doc(
			{
				"doctype": "Purchase Order",
				"company": COMPANY,
				"supplier": PURCHASE_ORDER["supplier"],
				"currency": CURRENCY,
				"conversion_rate": 1,
				"buying_price_list": BUYING_PRICE_LIST,
				"transaction_date": anchor,
				"schedule_date": schedule_date,
				"set_warehouse": STORES,
				"items": [
					{
						"item_code": PURCHASE_ORDER["item"],
						"qty": PURCHASE_ORDER["qty"],
						"rate": PURCHASE_ORDER["rate"],
						"warehouse": STORES,
						"schedule_date": schedule_date,
					}
				],
			}
		)
	)
