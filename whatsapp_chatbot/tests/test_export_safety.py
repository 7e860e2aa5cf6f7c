"""What users type and what documents hold is text in the files the bot makes, never something the
server fetches or parses. A report's PDF is printed by the real wkhtmltopdf while a loopback server
waits for the fetch an `<iframe>`, `<img>`, stylesheet or pdfkit `<meta>` option would make: it must
receive nothing, and the PDF must show the markup as the words typed. A chart of customers whose
names hold `$` signs is drawn (matplotlib would parse them as mathtext, and fail)."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler

import frappe
from openpyxl import load_workbook

from whatsapp_chatbot.media import pdf
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, say
from whatsapp_chatbot.tests.local_server import LocalServer

SECRET = "INTERNAL-ONLY-7Q2"  # what the "internal" server would hand out


class Internal(BaseHTTPRequestHandler):
	"""An internal service on loopback: records every request, answers with a secret page."""

	def do_GET(self):
		with self.server.lock:
			self.server.seen.append(self.path)
		body = f"<html><body><h1>{SECRET}</h1></body></html>".encode()
		self.send_response(200)
		self.send_header("Content-Type", "text/html")
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		self.wfile.write(body)

	do_POST = do_GET

	def log_message(self, *args):
		pass


def internal_server() -> LocalServer:
	server = LocalServer(Internal)
	server.server.seen, server.server.lock = [], threading.Lock()
	return server.start()


def squeezed(text: str) -> str:
	return "".join(text.split())  # the PDF's text wraps where the page ends


class TestReportPdfFetchesNothing(f.InterpreterTestCase):
	settings = {"long_row_threshold": 100_000}  # the export runs in the turn, in this process

	def setUp(self):
		super().setUp()
		self.internal = internal_server()
		self.addCleanup(self.internal.stop)
		url = self.internal.base_url
		# relative URLs are made absolute with the site's host name (Frappe's scrub_urls): that is
		# the internal server too, so a relative <img> would be caught as well
		previous = frappe.local.conf.host_name
		frappe.local.conf.host_name = url
		self.addCleanup(lambda: setattr(frappe.local.conf, "host_name", previous))
		self.report = self.make_report(url)

	def make_report(self, url: str) -> str:
		"""A Query Report whose column label and cells are markup pointing at the internal server,
		as a report that formats its cells as HTML (indicators, links) returns them."""
		frappe.set_user("Administrator")
		report = frappe.get_doc(
			{
				"doctype": "Report",
				"report_name": f"Chatbot Export Safety {frappe.generate_hash(length=8)}",
				"ref_doctype": "Sales Invoice",
				"report_type": "Query Report",
				"is_standard": "No",
				"query": (
					f'select \'<iframe src="{url}/cell-iframe"></iframe>'
					'<span class="indicator-pill green">Paid</span>\' as status, '
					'\'<a href="/app/sales-invoice/ACC-1">ACC-SAFE-1</a><img src="/cell-img.png">\' as invoice'
				),
				"columns": [
					{
						"fieldname": "status",
						"label": f'Status <img src="{url}/label.png">',
						"fieldtype": "Data",
					},
					{"fieldname": "invoice", "label": "Invoice <b>No</b>", "fieldtype": "Data"},
				],
				"roles": [{"role": "Accounts User"}],
			}
		).insert()
		frappe.db.commit()

		def remove():
			frappe.delete_doc("Report", report.name, force=True, ignore_permissions=True)
			frappe.db.commit()

		self.addCleanup(remove)
		return report.name

	def test_pdf_export_shows_markup_as_text_and_fetches_nothing(self):
		url = self.internal.base_url
		typed = {
			"note": f'<iframe src="{url}/secret"></iframe><img src="{url}/img">',
			"options": f'<meta name="pdfkit-user-style-sheet" content="{url}/meta.css">',
			"style": f'<link rel="stylesheet" href="{url}/link.css"><style>body {{ background: url({url}/bg.png) }}</style>',
		}
		arguments = {
			"report": self.report,
			"filters": [{"name": name, "value": value} for name, value in typed.items()],
			"file_format": "pdf",
		}
		self.openai.script(call("export_report", arguments), say("Aquí está el reporte."))
		self.say("mándame el reporte en PDF")
		f.run_jobs()  # had it gone to the long queue, it runs here all the same
		documents = [s for s in self.graph.sent_messages() if s["type"] == "document"]
		command = frappe.get_last_doc("Chatbot Command", {"command": "export_report"})
		self.assertEqual(len(documents), 1, (command.status, command.error))
		content = self.graph.media[documents[0]["document"]["id"]][0]
		self.assertTrue(content.startswith(b"%PDF"))

		self.assertEqual(self.internal.server.seen, [], "wkhtmltopdf fetched from the internal server")
		text = pdf.read(content, max_chars=100_000, render_pages=0).text
		self.assertNotIn(SECRET, text)
		for name, value in typed.items():  # the filters as typed, markup and all
			self.assertIn(squeezed(f"{name}: {value}"), squeezed(text))
		# the report's own markup is reduced to its words (headings in the Spanish reader's language)
		for words in (frappe._("Status", lang="es"), frappe._("Invoice No", lang="es"), "Paid", "ACC-SAFE-1"):
			self.assertIn(squeezed(words), squeezed(text))
		for markup in ("<span", "indicator-pill", "label.png", "cell-img", "<b>"):
			self.assertNotIn(markup, text)


class TestSpreadsheetCellsAreText(f.InterpreterTestCase):
	settings = {"long_row_threshold": 100_000}

	def test_a_value_starting_with_equals_is_text_not_a_formula(self):
		"""openpyxl stores a string starting with "=" as a formula, which the spreadsheet runs when
		the file is opened (=WEBSERVICE or =HYPERLINK send the sheet's data away)."""
		tag = frappe.generate_hash(length=8)
		name, formula = f"Chatbot Formula {tag}", f'=HYPERLINK("http://127.0.0.1:9/?"&A2,"{tag}")'
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": formula,
				"customer_type": "Company",
				"customer_group": "All Customer Groups",
				"territory": "All Territories",
			}
		).insert(set_name=name)
		frappe.db.commit()

		def remove():
			frappe.delete_doc("Customer", name, force=True, ignore_permissions=True)
			frappe.db.commit()

		self.addCleanup(remove)
		arguments = {
			"doctype": "Customer",
			"filters": [f"name = {name}"],
			"fields": ["name", "customer_name"],
			"limit": None,
		}
		self.openai.script(call("export_list", arguments), say("Listo."))
		self.say("exporta ese cliente")
		f.run_jobs()
		command = frappe.get_last_doc("Chatbot Command", {"command": "export_list"})
		[document] = [s for s in self.graph.sent_messages() if s["type"] == "document"]
		self.assertEqual(command.status, "Succeeded", command.error)
		sheet = load_workbook(io.BytesIO(self.graph.media[document["document"]["id"]][0])).active
		[row] = [r for r in sheet.iter_rows(min_row=2) if r[0].value == name]
		self.assertEqual((row[1].value, row[1].data_type), (formula, "s"))


class TestChartLabelsAreText(f.InterpreterTestCase):
	def test_customer_names_with_dollar_signs_are_charted(self):
		tag = frappe.generate_hash(length=6)
		names = [f"Chatbot {tag} $5 $6 Ltd", f"Chatbot {tag} $\\frac{{$"]
		for name in names:
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": name,
					"customer_type": "Company",
					"customer_group": "All Customer Groups",
					"territory": "All Territories",
				}
			).insert(set_name=name)
		frappe.db.commit()

		def remove():
			for name in names:
				frappe.delete_doc("Customer", name, force=True, ignore_permissions=True)
			frappe.db.commit()

		self.addCleanup(remove)
		arguments = {
			"doctype": "Customer",
			"value_field": None,
			"group_by": "customer_name",
			"date_field": "creation",
			"from_date": None,
			"to_date": None,
			"by": None,
			"filters": [f"customer_name like Chatbot {tag}%"],
		}
		self.openai.script(call("documents_chart", arguments), say("Listo."))
		self.say("gráfica de clientes por nombre")
		f.run_jobs()
		command = frappe.get_last_doc("Chatbot Command", {"command": "documents_chart"})
		self.assertEqual(command.status, "Succeeded", command.error)
		[image] = [s for s in self.graph.sent_messages() if s["type"] == "image"]
		self.assertTrue(self.graph.media[image["image"]["id"]][0].startswith(b"\x89PNG"))
