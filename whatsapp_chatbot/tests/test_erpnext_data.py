"""The ERPNext test data says what it claims: each Facts number read back through ERPNext."""

import time

import frappe
from erpnext.accounts.utils import get_balance_on
from erpnext.stock.utils import get_stock_balance
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from whatsapp_chatbot.tests import erpnext_data
from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data


def sales(facts, days: int, group_by: str, value: str) -> dict:
	"""Sum of submitted sales invoice lines of the last `days` days, per customer or item."""
	rows = frappe.get_all(
		"Sales Invoice",
		filters={
			"company": facts.company,
			"docstatus": 1,
			"posting_date": ("between", [add_days(today(), -days), today()]),
		},
		fields=["customer", "`tabSales Invoice Item`.item_code", f"`tabSales Invoice Item`.{value} as value"],
	)
	totals = {}
	for row in rows:
		totals[row[group_by]] = totals.get(row[group_by], 0) + row.value
	return totals


def bin_qty(item_code, warehouse, field):
	return frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, field) or 0


class TestErpnextData(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.facts = make_erpnext_data()

	def test_company_and_masters(self):
		f = self.facts
		self.assertEqual(f.anchor, today())
		company = frappe.get_doc("Company", f.company)
		self.assertEqual((company.abbr, company.default_currency, company.country), ("CTC", "MXN", "Mexico"))
		for warehouse in f.warehouses.values():
			self.assertEqual(frappe.db.get_value("Warehouse", warehouse, "company"), f.company)
		for code, name in f.items.items():
			item = frappe.get_doc("Item", code)
			self.assertEqual((item.item_name, item.stock_uom, item.is_stock_item), (name, "Nos", 1))
		for customer in f.customers:
			self.assertEqual(frappe.db.get_value("Customer", customer, "customer_name"), customer)
		self.assertEqual(frappe.db.get_value("Supplier", f.supplier, "supplier_name"), f.supplier)
		for price_list in (f.selling_price_list, f.buying_price_list):
			self.assertEqual(frappe.db.get_value("Price List", price_list, "currency"), f.currency)
		for price_list, prices in (
			(f.selling_price_list, f.selling_prices),
			(f.buying_price_list, f.buying_prices),
		):
			for item_code, rate in prices.items():
				self.assertEqual(
					frappe.db.get_value(
						"Item Price", {"price_list": price_list, "item_code": item_code}, "price_list_rate"
					),
					rate,
				)

	def test_fiscal_years_cover_the_last_400_days(self):
		from erpnext.accounts.utils import get_fiscal_year

		for days in (0, -60, -400):
			self.assertTrue(
				get_fiscal_year(add_days(today(), days), company=self.facts.company, boolean=True)
			)

	def test_stock(self):
		f = self.facts
		for (item_code, warehouse), qty in f.stock.items():
			self.assertEqual(get_stock_balance(item_code, warehouse), qty, (item_code, warehouse))
		for item_code, qty in f.stock_by_item.items():
			self.assertEqual(
				sum(get_stock_balance(item_code, w) for w in f.warehouses.values()), qty, item_code
			)
		for (item_code, warehouse), value in erpnext_data.STOCK_VALUE.items():
			self.assertEqual(bin_qty(item_code, warehouse, "stock_value"), value)
		for field, expected in (
			("reserved_qty", f.reserved_qty),
			("ordered_qty", f.ordered_qty),
			("projected_qty", f.projected_qty),
		):
			for (item_code, warehouse), qty in expected.items():
				self.assertEqual(bin_qty(item_code, warehouse, field), qty, (field, item_code))

	def test_invoices_outstanding_and_overdue(self):
		f = self.facts
		invoices = {name: frappe.get_doc("Sales Invoice", name) for name in f.invoices.values()}
		for key, name in f.invoices.items():
			invoice = invoices[name]
			self.assertEqual((invoice.docstatus, invoice.company), (1, f.company))
			self.assertEqual(invoice.grand_total, f.invoice_totals[key])
			self.assertEqual((invoice.total_taxes_and_charges, len(invoice.taxes)), (0, 0))
		outstanding = {}
		for invoice in invoices.values():
			outstanding[invoice.customer] = outstanding.get(invoice.customer, 0) + invoice.outstanding_amount
		self.assertEqual(outstanding, f.outstanding)
		overdue = [
			i.name for i in invoices.values() if i.outstanding_amount > 0 and getdate(i.due_date) < getdate()
		]
		self.assertEqual(sorted(overdue), sorted(f.overdue_invoices))
		self.assertEqual(
			{
				c: sum(invoices[n].outstanding_amount for n in overdue if invoices[n].customer == c)
				for c in f.overdue
			},
			f.overdue,
		)
		self.assertEqual(invoices[f.invoices["globex_paid"]].status, "Paid")
		self.assertEqual(invoices[f.invoices["acme_overdue"]].status, "Overdue")
		self.assertEqual(invoices[f.invoices["acme_current"]].status, "Unpaid")
		# the ledger agrees with the documents
		for customer, amount in f.outstanding.items():
			balance = get_balance_on(party_type="Customer", party=customer, company=f.company)
			self.assertEqual(balance, amount, customer)
		self.assertEqual(frappe.db.get_value("Payment Entry", f.payment_entry, "docstatus"), 1)

	def test_sales_windows(self):
		f = self.facts
		for days in (30, 90):
			self.assertEqual(sales(f, days, "customer", "base_net_amount"), f.sales_by_customer[days])
			self.assertEqual(sales(f, days, "item_code", "base_net_amount"), f.sales_by_item[days])
			self.assertEqual(sales(f, days, "item_code", "stock_qty"), f.qty_sold_by_item[days])
			self.assertEqual(sum(f.sales_by_customer[days].values()), f.sales_total[days])

	def test_open_orders(self):
		f = self.facts
		order = frappe.get_doc("Sales Order", f.sales_order)
		self.assertEqual((order.docstatus, order.status, order.grand_total), (1, "To Deliver and Bill", 1250))
		self.assertEqual(str(order.delivery_date), add_days(today(), 7))
		purchase = frappe.get_doc("Purchase Order", f.purchase_order)
		self.assertEqual(
			(purchase.docstatus, purchase.status, purchase.grand_total), (1, "To Receive and Bill", 80)
		)
		self.assertEqual(str(purchase.schedule_date), add_days(today(), 10))
		self.assertEqual(f.sales_order_total, 1250)
		self.assertEqual(f.purchase_order_total, 80)

	def test_second_call_is_fast_and_changes_nothing(self):
		def snapshot():
			return {
				doctype: frappe.db.sql(
					f"select count(*), max(modified) from `tab{doctype}` where company=%s", self.facts.company
				)[0]
				for doctype in (
					"Sales Invoice",
					"Payment Entry",
					"Stock Entry",
					"Sales Order",
					"Purchase Order",
				)
			}

		first = make_erpnext_data()
		before = snapshot()
		started = time.monotonic()
		again = make_erpnext_data()
		elapsed = time.monotonic() - started
		self.assertEqual(again, first)
		self.assertEqual(snapshot(), before)
		self.assertLess(elapsed, 0.5)
		self.assertEqual(frappe.session.user, "Administrator")  # FrappeTestCase's user, restored

	def test_rebuild_replaces_transactions_and_keeps_the_numbers(self):
		stray = frappe.get_doc(
			{
				"doctype": "Sales Order",
				"company": self.facts.company,
				"customer": "Globex SA",
				# without it the document takes the site's default currency (USD) and needs a rate
				"currency": self.facts.currency,
				"transaction_date": today(),
				"delivery_date": add_days(today(), 1),
				"items": [
					{"item_code": "SKU-2", "qty": 1, "rate": 1, "warehouse": self.facts.warehouses["Stores"]}
				],
			}
		).insert()
		stray.submit()  # as if a chat had placed an order in the test company
		rebuilt = make_erpnext_data(rebuild=True)
		# the other tests of this class go on with the new names
		type(self).facts = rebuilt
		# deleting the newest document of a series reverts the series, so names may be reused:
		# count instead of looking for the stray's name
		self.assertEqual(frappe.db.count("Sales Invoice", {"company": rebuilt.company}), 4)
		self.assertEqual(
			frappe.get_all("Sales Order", filters={"company": rebuilt.company}, pluck="customer"),
			["Acme Corp"],
		)
		self.test_invoices_outstanding_and_overdue()
		self.test_stock()
