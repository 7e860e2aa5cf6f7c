"""Charts out, in a real site: a signed webhook in, the chart command run as the contact's user
against ERPNext data (tests/erpnext_data.py, its own company), the PNG uploaded to the fake Graph
server and sent as a WhatsApp image, whose bytes are parsed back with Pillow. Also: the empty
period's sentence, who is offered which chart, field checks of the generic chart, the long path."""

import io
import json
import time

import frappe
import requests
from frappe.utils import add_days, fmt_money
from PIL import Image

from whatsapp_chatbot import texts
from whatsapp_chatbot.charts.render import HEIGHT, WIDTH
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, from_request, last_tool_result, say


def period_text(start, end) -> str:
	return f"{frappe.format(start, {'fieldtype': 'Date'})} – {frappe.format(end, {'fieldtype': 'Date'})}"


class ChartTestCase(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		self.company_filter = f"company = {self.facts.company}"

	def say(self, text: str, wa_id: str | None = None) -> list[dict]:
		"""As InterpreterTestCase.say, and robust to a worker of another test process on this bench
		taking the job off the shared queue first: then wait until that worker has answered."""
		before = len(self.graph.sent_messages())
		wamid = f"wamid.TEST{frappe.generate_hash(length=16)}"
		self.post(f.text_webhook(text, wa_id=wa_id or self.MX, wamid=wamid))
		f.run_jobs(queues=("short",))
		self.settle("Chatbot Message", {"wamid": wamid}, ("Received", "Processing"))
		self.settle("Chatbot Message", {"direction": "Outgoing"}, ("Queued", "Sending"))
		return self.graph.sent_messages()[before:]

	def settle(self, doctype: str, filters: dict, busy: tuple, timeout: float = 60) -> None:
		deadline = time.monotonic() + timeout
		while True:
			frappe.db.commit()  # a fresh snapshot: see what other processes committed
			if not frappe.db.exists(doctype, {**filters, "status": ("in", busy)}):
				return
			if time.monotonic() > deadline:
				raise TimeoutError(f"{doctype} {filters} still {busy}")
			time.sleep(0.2)

	def money(self, value) -> str:
		return fmt_money(value, currency=self.facts.currency)

	def sales_args(self, by, days=30, top=None) -> dict:
		return {
			"by": by,
			"from_date": add_days(self.facts.anchor, -days),
			"to_date": self.facts.anchor,
			"top": top,
			"company": None,
		}

	def documents(self, **arguments) -> dict:
		base = dict.fromkeys(
			("value_field", "group_by", "date_field", "from_date", "to_date", "by", "filters")
		)
		return {**base, **arguments}

	def png(self, sent: dict) -> bytes:
		"""The uploaded bytes behind an image message: a PNG of the phone size."""
		self.assertEqual(sent["type"], "image")
		content, mime = self.graph.media[sent["image"]["id"]]
		upload = next(
			r
			for r in self.graph.requests
			if r.path.endswith("/media") and r.form and r.form["file"][0] == content
		)
		self.assertEqual((mime, upload.form["type"], upload.form["file"][1]), ("image/png",) * 3)
		picture = Image.open(io.BytesIO(content))
		picture.load()
		self.assertEqual((picture.format, picture.size), ("PNG", (WIDTH, HEIGHT)))
		self.assertGreater(len(picture.getcolors(maxcolors=200_000)), 10)  # drawn, not blank
		return content

	def tool_result(self, request_index: int = -1) -> dict:
		return json.loads(last_tool_result(self.openai.requests[request_index]))

	def uploads(self) -> int:
		return sum(1 for r in self.graph.requests if r.path.endswith("/media"))


class TestChartsThroughTheModel(ChartTestCase):
	def test_sales_by_day_arrives_as_an_image_with_a_spanish_caption(self):
		self.openai.script(
			call("sales_chart", self.sales_args("day")), say("Aquí tienes las ventas por día.")
		)
		sent = self.say("muéstrame una gráfica de las ventas por día del último mes")
		self.assertEqual([s["type"] for s in sent], ["image", "text"])
		self.assertIn("sales_chart", self.tools_offered(0))
		content = self.png(sent[0])

		start, end = add_days(self.facts.anchor, -30), self.facts.anchor
		total = self.money(self.facts.sales_total[30])
		caption = texts.text(
			"chart_caption", "es", title="Ventas por día", period=period_text(start, end), total=total
		)
		self.assertEqual(sent[0]["image"]["caption"], caption)
		# the model was told what the picture shows, in the site's money format
		result = self.tool_result()
		self.assertEqual((result["image_sent"], result["total"]), (True, total))
		invoices = {"acme_current", "globex_overdue", "globex_paid"}  # the three in the last 30 days
		self.assertEqual(
			sorted(value for _, value in result["points"]),
			sorted(self.money(self.facts.invoice_totals[key]) for key in invoices),
		)
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(
			(command.command, command.status, command.run_as), ("sales_chart", "Succeeded", self.sales)
		)
		# the PNG is kept on the command
		self.assertTrue(command.attachment)
		kept = frappe.get_doc(
			"File", {"attached_to_doctype": "Chatbot Command", "attached_to_name": command.name}
		)
		self.assertEqual((kept.file_url, kept.is_private), (command.attachment, 1))
		self.assertEqual(kept.get_content(), content)
		row = frappe.get_last_doc(
			"Chatbot Message", filters={"direction": "Outgoing", "message_type": "image"}
		)
		self.assertEqual(row.status, "Sent")

	def test_top_customers_and_items_in_english(self):
		self.openai.script(call("sales_chart", self.sales_args("customer", 90)), say("Here it is."))
		sent = self.say("graph our top customers this quarter", self.US)
		self.png(sent[0])
		self.assertTrue(sent[0]["image"]["caption"].startswith("📊 Top customers ("))
		self.assertEqual(
			self.tool_result()["points"],
			[
				[customer, self.money(total)]
				for customer, total in sorted(
					self.facts.sales_by_customer[90].items(), key=lambda pair: -pair[1]
				)
			],
		)
		self.openai.script(call("sales_chart", self.sales_args("item", 90, top=2)), say("Here it is."))
		sent = self.say("chart the best selling items", self.US)
		self.png(sent[0])
		best = sorted(self.facts.sales_by_item[90].items(), key=lambda pair: -pair[1])[:2]
		self.assertEqual(self.tool_result()["points"], [[item, self.money(v)] for item, v in best])

	def test_stock_by_warehouse_for_the_storekeeper(self):
		self.openai.script(call("stock_chart", {"item": "Tornillo M8"}), say("Listo."))
		sent = self.say("grafica el stock del tornillo M8 por almacén", self.STORE_MX)
		self.png(sent[0])
		offered = self.tools_offered(0)
		self.assertIn("stock_chart", offered)
		self.assertNotIn("sales_chart", offered)  # a Stock User cannot read Sales Invoices
		result = self.tool_result()
		self.assertEqual(
			result["points"],
			[[self.facts.warehouses["Stores"], "120"], [self.facts.warehouses["Tienda Centro"], "30"]],
		)
		self.assertEqual(result["total"], "150 Nos")

	def test_generic_chart_grouped_and_over_time(self):
		self.openai.script(
			call(
				"documents_chart",
				self.documents(
					doctype="Sales Invoice",
					value_field="base_net_total",
					group_by="customer",
					from_date=add_days(self.facts.anchor, -90),
					filters=[self.company_filter],
				),
			),
			say("Listo."),
		)
		sent = self.say("grafica el total neto por cliente en 90 días")
		self.png(sent[0])
		self.assertEqual(
			dict(self.tool_result()["points"]),
			{c: self.money(v) for c, v in self.facts.sales_by_customer[90].items()},
		)
		self.openai.script(
			call(
				"documents_chart",
				self.documents(
					doctype="Sales Invoice",
					from_date=add_days(self.facts.anchor, -90),
					by="month",
					filters=[self.company_filter],
				),
			),
			say("Listo."),
		)
		sent = self.say("cuántas facturas por mes, en gráfica")
		self.png(sent[0])
		result = self.tool_result()
		self.assertEqual(result["total"], str(len(self.facts.invoices)))
		self.assertTrue(result["title"].startswith("Cantidad de "))


class TestSlashChart(ChartTestCase):
	def test_slash_chart_without_the_model(self):
		start = add_days(self.facts.anchor, -90)
		[image] = self.say(f"/chart ventas mes from_date={start}")
		self.png(image)
		self.assertEqual(self.openai.requests, [])  # no model involved
		self.assertEqual(
			image["image"]["caption"],
			texts.text(
				"chart_caption",
				"es",
				title="Ventas por mes",
				period=period_text(start, self.facts.anchor),
				total=self.money(self.facts.sales_total[90]),
			),
		)
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(
			(command.command, json.loads(command.arguments)["by"], command.status),
			("sales_chart", "month", "Succeeded"),
		)
		[image] = self.say("/chart stock TORN-M8", self.US)
		self.png(image)
		self.assertTrue(image["image"]["caption"].startswith("📊 Stock of TORN-M8 by warehouse ("))
		[usage] = self.say("/chart pastel")
		self.assertEqual(self.body(usage), texts.text("chart_usage", "es"))

	def test_amounts_follow_the_site_number_format(self):
		previous = frappe.db.get_default("number_format")
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_default, "number_format", previous)
		frappe.db.set_default("number_format", "#.###,##")
		frappe.db.commit()
		[image] = self.say(f"/chart ventas clientes from_date={add_days(self.facts.anchor, -90)}")
		self.png(image)
		self.assertIn(
			f"{fmt_money(self.facts.sales_total[90], currency=self.facts.currency)} en total",
			image["image"]["caption"],
		)
		self.assertIn("4.300,00", image["image"]["caption"])


class TestChartsRefused(ChartTestCase):
	def test_empty_period_gives_a_sentence_not_a_chart(self):
		[reply] = self.say("/sales_chart by=day from_date=2001-01-01 to_date=2001-01-31")
		start, end = frappe.utils.getdate("2001-01-01"), frappe.utils.getdate("2001-01-31")
		self.assertEqual(
			self.body(reply),
			texts.text("chart_empty", "es", title="Ventas por día", period=period_text(start, end)),
		)
		self.assertEqual(self.uploads(), 0)
		# and through the model, which is told there was nothing to draw
		self.openai.script(
			call("stock_chart", {"item": "SKU-2"}),  # never had stock
			from_request(lambda request: say(json.loads(last_tool_result(request))["message"])),
		)
		[reply] = self.say("stock chart of SKU-2", self.US)
		self.assertEqual(reply["type"], "text")
		self.assertTrue(self.body(reply).startswith("Nothing to chart: Stock of SKU-2"))
		self.assertEqual(self.uploads(), 0)

	def test_a_user_without_sales_invoice_read_never_gets_the_sales_chart(self):
		[reply] = self.say("/chart ventas día", self.STORE_MX)
		self.assertEqual(self.body(reply), texts.text("not_permitted", "es"))
		[reply] = self.say("/sales_chart by=day", self.STORE_MX)
		self.assertEqual(self.body(reply), texts.text("unknown_command", "es", name="sales_chart"))
		# the model is not offered it either, and a call it invents anyway is not run
		self.openai.script(call("sales_chart", self.sales_args("day")), say("No puedo."))
		self.say("grafica las ventas", self.STORE_MX)
		self.assertNotIn("sales_chart", self.tools_offered(0))
		self.assertIn("unknown tool", last_tool_result(self.openai.requests[1]))
		self.assertFalse(frappe.db.exists("Chatbot Command", {"command": "sales_chart"}))
		self.assertEqual(self.uploads(), 0)

	def test_generic_chart_checks_every_name(self):
		# said in Spanish, the language the contact writes
		cases = [
			({"doctype": "Sales Invoice", "value_field": "customer_name"}, "no es un campo de tipo"),
			({"doctype": "Sales Invoice", "group_by": "no_such_field"}, "no tiene el campo"),
			({"doctype": "Sales Invoice", "filters": ["password = x"]}, "no tiene el campo"),
			({"doctype": "Sales Invoice", "date_field": "customer"}, "no es un campo de tipo"),
			# a field above the user's permission level is treated as missing
			({"doctype": "User", "group_by": "user_type"}, "no tiene el campo “user_type”"),
			({"doctype": "Invoices; drop table", "group_by": None}, "No existe un tipo de documento"),
		]
		for arguments, expected in cases:
			with self.subTest(arguments=arguments):
				[reply] = self.say(f"/documents_chart {json.dumps(self.documents(**arguments))}")
				self.assertIn(expected, self.body(reply))
		# a DocType the user may not read: refused as such, whatever the fields
		arguments = self.documents(doctype="Sales Invoice", group_by="customer")
		[reply] = self.say(f"/documents_chart {json.dumps(arguments)}", self.STORE_MX)
		self.assertEqual(self.body(reply), texts.text("not_permitted", "es"))
		self.assertEqual(self.uploads(), 0)
		self.assertEqual(
			set(frappe.get_all("Chatbot Command", {"command": "documents_chart"}, pluck="status")),
			{"Failed"},
		)


class TestChartOnTheLongPath(ChartTestCase):
	settings = {"long_row_threshold": 2}

	def test_a_big_generic_chart_is_queued_then_sent_as_an_image(self):
		arguments = self.documents(
			doctype="Sales Invoice",
			value_field="base_net_total",
			group_by="customer",
			from_date=add_days(self.facts.anchor, -90),
			filters=[self.company_filter],
		)
		[ack] = self.say(f"/documents_chart {json.dumps(arguments)}")
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(self.body(ack), texts.text("working", "es", ref=command.name))
		self.assertEqual(self.uploads(), 0)
		f.run_jobs(queues=("long",))
		self.settle("Chatbot Command", {"name": command.name}, ("Queued", "Running"))
		self.settle("Chatbot Message", {"direction": "Outgoing"}, ("Queued", "Sending"))
		command.reload()
		self.assertEqual(command.status, "Succeeded")
		[image] = self.graph.sent_messages()[1:]
		content = self.png(image)
		self.assertIn(command.name, image["image"]["caption"])
		kept = frappe.get_doc(
			"File", {"attached_to_doctype": "Chatbot Command", "attached_to_name": command.name}
		)
		self.assertEqual((kept.file_url, kept.get_content()), (command.attachment, content))


class TestChartOverRealProcesses(ChartTestCase):
	"""A signed POST to gunicorn, a real `bench worker` (which preloads matplotlib before forking
	its jobs), the image at the fake Graph server."""

	def test_slash_chart_from_a_signed_webhook_to_an_image(self):
		from whatsapp_chatbot.tests.processes import WebServer, Worker

		start = add_days(self.facts.anchor, -90)
		raw, headers = f.signed(f.text_webhook(f"/chart ventas clientes from_date={start}", wa_id=self.MX))
		with WebServer(workers=1) as web, Worker("short", name="chart-worker"):
			response = requests.post(
				web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
				data=raw,
				headers=web.headers(headers),
				timeout=30,
			)
			self.assertEqual((response.status_code, response.text), (200, "OK"))
			[image] = self.graph.wait_for(lambda g: g.sent_messages(), timeout=90)
		self.png(image)
		self.assertTrue(image["image"]["caption"].startswith("📊 Mejores clientes ("))
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.command, command.status), ("sales_chart", "Succeeded"))
		self.assertTrue(command.attachment)
