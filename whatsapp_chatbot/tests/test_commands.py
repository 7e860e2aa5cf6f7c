"""Every built-in read command end to end, in Spanish and English: a signed webhook in, the fake
OpenAI model calling the tool, the command running as the contact's user against real ERPNext
data, the model answering from the tool result, the answer arriving at the fake Graph server."""

import json

import frappe

from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, from_request, last_tool_result, say


def echo_result(prefix: str = ""):
	"""A model that answers with the tool result it was given (so the test sees real data)."""
	return from_request(lambda request: say(prefix + last_tool_result(request)))


class TestReadCommands(f.InterpreterTestCase):
	def ask(self, text, tool, arguments, wa_id=None) -> tuple[str, dict]:
		self.openai.script(call(tool, arguments), echo_result())
		[reply] = self.say(text, wa_id)
		result = json.loads(self.body(reply))
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.command, command.status, command.run_as), (tool, "Succeeded", self.sales))
		return self.body(reply), result

	def test_stock_of_an_item_in_spanish(self):
		_, result = self.ask(
			"¿cuánto stock queda del ítem TORN-M8?", "stock_balance", {"item": "TORN-M8", "warehouse": None}
		)
		self.assertEqual(result["total"], self.facts.stock_by_item["TORN-M8"])
		by_warehouse = {w["warehouse"]: w["qty"] for w in result["warehouses"]}
		self.assertEqual(by_warehouse[self.facts.warehouses["Stores"]], 120)
		self.assertEqual(by_warehouse[self.facts.warehouses["Tienda Centro"]], 30)

	def test_stock_by_item_name_and_warehouse(self):
		_, result = self.ask(
			"stock of Tornillo M8 in Tienda Centro",
			"stock_balance",
			{"item": "Tornillo M8", "warehouse": "Tienda Centro"},
			self.US,
		)
		self.assertEqual(result["total"], 30)

	def test_item_price(self):
		_, result = self.ask("price of SKU-1?", "item_price", {"item": "SKU-1", "price_list": None}, self.US)
		self.assertEqual(
			[(p["price_list"], p["price_list_rate"]) for p in result["prices"]],
			[(self.facts.selling_price_list, 250.0)],
		)

	def test_customer_balance(self):
		# the site may have other Acmes (a Customer "ACME" is an exact match for "Acme"): ask for ours
		_, result = self.ask(
			"¿cuánto nos debe Acme Corp?", "party_balance", {"party_type": "Customer", "party": "Acme Corp"}
		)
		self.assertEqual(result["party"], "Acme Corp")
		self.assertEqual(result["balances"][0]["outstanding"], self.facts.outstanding["Acme Corp"])

	def test_supplier_balance(self):
		_, result = self.ask(
			"how much do we owe Proveedora Norte?",
			"party_balance",
			{"party_type": "Supplier", "party": "Proveedora"},
			self.US,
		)
		self.assertEqual(
			(result["party"], result["outstanding"]), ("Proveedora Norte", 0)
		)  # no purchase invoices yet

	def test_overdue_invoices(self):
		_, result = self.ask("facturas vencidas", "overdue_invoices", {"customer": None, "limit": None})
		names = {i["name"] for i in result["invoices"]}
		self.assertTrue(set(self.facts.overdue_invoices) <= names)
		self.assertNotIn(self.facts.invoices["acme_current"], names)

	def test_sales_summary(self):
		_, result = self.ask(
			"sales in the last 30 days",
			"sales_summary",
			{
				"from_date": frappe.utils.add_days(self.facts.anchor, -30),
				"to_date": self.facts.anchor,
				"top": 3,
			},
			self.US,
		)
		self.assertEqual(result["total"], self.facts.sales_total[30])
		self.assertEqual(
			{c["customer"]: c["total"] for c in result["top_customers"]}, self.facts.sales_by_customer[30]
		)
		self.assertEqual(
			{i["item_code"]: i["total"] for i in result["top_items"]}, self.facts.sales_by_item[30]
		)

	def test_pending_orders(self):
		_, result = self.ask(
			"pedidos pendientes de entregar", "pending_sales_orders", {"customer": None, "limit": None}
		)
		self.assertIn(self.facts.sales_order, [o["name"] for o in result["orders"]])
		_, result = self.ask(
			"purchase orders not received",
			"pending_purchase_orders",
			{"supplier": "Proveedora", "limit": None},
			self.US,
		)
		self.assertEqual([o["name"] for o in result["orders"]], [self.facts.purchase_order])

	def test_generic_reads(self):
		_, found = self.ask(
			"clientes que empiezan con Acme",
			"find_documents",
			{
				"doctype": "Customer",
				"filters": ["customer_name like Acme%"],
				"fields": ["name", "customer_name"],
				"order_by": None,
				"limit": None,
				"count_only": None,
			},
		)
		# other customers starting with Acme may exist on the site: ours is found, and only matches are
		self.assertIn("Acme Corp", [r["name"] for r in found["rows"]])
		self.assertTrue(all(r["customer_name"].lower().startswith("acme") for r in found["rows"]))
		_, counted = self.ask(
			"how many submitted invoices does Acme have?",
			"find_documents",
			{
				"doctype": "Sales Invoice",
				"filters": [
					"customer = Acme Corp",
					"docstatus = 1",
					f"company = {self.facts.company}",
				],
				"fields": None,
				"order_by": None,
				"limit": None,
				"count_only": True,
			},
			self.US,
		)
		self.assertEqual(counted["count"], 2)
		invoice = self.facts.invoices["acme_overdue"]
		_, document = self.ask(
			f"muéstrame {invoice}", "get_document", {"doctype": "Sales Invoice", "name": invoice}
		)
		self.assertEqual(document["fields"]["customer"], "Acme Corp")
		self.assertEqual([(i["item_code"], i["qty"]) for i in document["fields"]["items"]], [("SKU-1", 10)])
		_, totals = self.ask(
			"ventas por cliente en 90 días",
			"totals_by_group",
			{
				"doctype": "Sales Invoice",
				"sum_field": "grand_total",
				"group_by": "customer",
				"from_date": frappe.utils.add_days(self.facts.anchor, -90),
				"to_date": self.facts.anchor,
				"filters": [f"company = {self.facts.company}"],
				"limit": None,
			},
		)
		self.assertEqual(
			{g["group_value"]: g["total"] for g in totals["groups"]}, self.facts.sales_by_customer[90]
		)

	def test_send_pdf_of_a_document(self):
		from whatsapp_chatbot.tests.processes import DevServer

		server = DevServer().start()  # printing fetches the print styles from the site's URL
		self.addCleanup(server.stop)
		previous = frappe.local.conf.host_name
		frappe.local.conf.host_name = server.base_url
		self.addCleanup(lambda: setattr(frappe.local.conf, "host_name", previous))
		invoice = self.facts.invoices["acme_current"]
		self.openai.script(
			call("send_document_pdf", {"doctype": "Sales Invoice", "name": invoice, "caption": None}),
			say("Aquí está la factura."),
		)
		sent = self.say(f"mándame el PDF de {invoice}")
		self.assertEqual([s["type"] for s in sent], ["document", "text"])
		document = sent[0]["document"]
		self.assertEqual(document["filename"], f"{invoice}.pdf")
		upload = next(r for r in self.graph.requests if r.path.endswith("/media"))
		self.assertIn(document["id"], self.graph.media)  # uploaded first, then sent by id
		self.assertTrue(upload.form["file"][0].startswith(b"%PDF"))
		self.assertEqual(upload.form["file"][1], "application/pdf")


class TestGenericReadsAreChecked(f.InterpreterTestCase):
	def test_unknown_doctype_or_field_goes_back_to_the_model(self):
		self.openai.script(
			call(
				"find_documents",
				{
					"doctype": "Invoices Table; drop",
					"filters": None,
					"fields": None,
					"order_by": None,
					"limit": None,
				},
			),
			echo_result(),
		)
		[reply] = self.say("lista facturas")
		# in the language the user writes (the model reads it and answers in it too)
		self.assertIn("No existe un tipo de documento", self.body(reply))
		self.openai.script(
			call(
				"find_documents",
				{
					"doctype": "Customer",
					"filters": ["password_hash = x"],
					"fields": None,
					"order_by": None,
					"limit": None,
				},
			),
			echo_result(),
		)
		[reply] = self.say("clientes")
		self.assertIn("no tiene el campo", self.body(reply))
		self.assertEqual(frappe.get_last_doc("Chatbot Command").status, "Failed")
