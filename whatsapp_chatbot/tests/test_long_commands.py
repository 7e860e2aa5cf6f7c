"""Long work in a real site: the acknowledgement at once, RQ's long queue, progress to the Desk and
to WhatsApp (in order, throttled), files as documents, cancellation, a killed worker, a closed window."""

import io
import itertools
import time

import frappe
from frappe.utils import add_to_date, now_datetime
from openpyxl import load_workbook

from whatsapp_chatbot import texts
from whatsapp_chatbot.jobs.sweep import sweep
from whatsapp_chatbot.realtime import progress
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, say
from whatsapp_chatbot.tests.long_task import define_slow_command
from whatsapp_chatbot.tests.processes import WebServer, Worker, wait_until

EXPORT = {
	"doctype": "Sales Invoice",
	"filters": ["company = Chatbot Test Co", "docstatus = 1"],
	"fields": ["name", "customer", "grand_total"],
	"limit": None,
}


class TestLongCommandsInProcess(f.InterpreterTestCase):
	settings = {"long_row_threshold": 2}

	def test_export_list_acknowledged_then_sent_as_xlsx(self):
		self.openai.script(call("export_list", EXPORT))
		[ack] = self.say("exporta las facturas de venta")
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(self.body(ack), texts.text("working", "es", ref=command.name))
		self.assertEqual((command.status, command.kind, command.job_id), ("Queued", "Long", command.name))
		[job] = f.queued_jobs("long")
		self.assertEqual(
			(job.id, job.kwargs["kwargs"]),
			(f"{frappe.local.site}::{command.name}", {"command": command.name}),
		)
		f.run_jobs()
		command.reload()
		self.assertEqual((command.status, command.progress), ("Succeeded", 100))
		self.assertTrue(command.attachment)
		[document] = self.graph.sent_messages()[1:]
		self.assertEqual(document["type"], "document")
		self.assertEqual(document["document"]["filename"], "factura_de_venta.xlsx")  # its Spanish name
		self.assertIn(command.name, document["document"]["caption"])
		sheet = load_workbook(io.BytesIO(self.graph.media[document["document"]["id"]][0])).active
		names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
		self.assertTrue(set(self.facts.invoices.values()) <= names)

	def test_small_export_runs_at_once(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "long_row_threshold", 1000)
		frappe.db.commit()
		self.openai.script(call("export_list", EXPORT), say("Aquí tienes el archivo."))
		sent = self.say("exporta las facturas")
		self.assertEqual([s["type"] for s in sent], ["document", "text"])
		self.assertEqual(f.queued_jobs("long"), [])

	def test_report_as_pdf_and_xlsx(self):
		for file_format, mime in (("xlsx", b"PK"), ("pdf", b"%PDF")):
			with self.subTest(file_format=file_format):
				arguments = {
					"report": "General Ledger",
					"filters": [
						{"name": "from_date", "value": frappe.utils.add_days(self.facts.anchor, -365)},
						{"name": "to_date", "value": self.facts.anchor},
						{"name": "group_by", "value": "Group by Voucher (Consolidated)"},
					],
					"file_format": file_format,
				}
				self.openai.script(call("export_report", arguments))
				[ack] = self.say("libro mayor del año", self.MX)  # a year of data: a long job
				self.assertIn("⏳", self.body(ack))
				f.run_jobs()
				document = self.graph.sent_messages()[-1]
				self.assertEqual(
					document["type"], "document", (document, frappe.get_last_doc("Chatbot Command").error)
				)
				self.assertTrue(self.graph.media[document["document"]["id"]][0].startswith(mime))

	def test_closed_window_holds_the_file_and_says_why(self):
		self.openai.script(call("export_list", EXPORT))
		self.say("exporta las facturas")
		self.sales_contact.db_set(
			"last_inbound_at", add_to_date(now_datetime(), hours=-25)
		)  # the job ran late (at night)
		frappe.db.commit()
		f.run_jobs()
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(command.status, "Succeeded")
		self.assertTrue(command.attachment)
		self.assertIn("24-hour", command.error)
		self.assertEqual(len(self.graph.sent_messages()), 1)  # only the acknowledgement
		result = frappe.get_doc("Chatbot Message", {"outbox_key": f"{command.name}:result"})
		self.assertEqual(result.status, "Held")  # kept, with its file, for when the contact writes

	def test_closed_window_sends_the_waiting_template_then_the_file_after_the_reply(self):
		waiting = f.make_waiting_template(self.graph)
		self.addCleanup(f.forget_template, waiting)
		self.openai.script(call("export_list", EXPORT))
		self.say("exporta las facturas")
		self.sales_contact.db_set("last_inbound_at", add_to_date(now_datetime(), hours=-25))
		frappe.db.commit()
		f.run_jobs()
		template = self.graph.sent_messages()[-1]
		self.assertEqual(template["type"], "template")
		self.assertEqual(template["template"]["components"][0]["parameters"][0]["text"], "1")
		self.openai.script(say("¡De nada!"))
		sent = self.say("gracias")
		# the export first, then the answer to the reply
		self.assertEqual([s["type"] for s in sent], ["document", "text"])
		self.assertEqual(sent[0]["document"]["filename"], "factura_de_venta.xlsx")

	def test_status_and_cancel_before_it_starts(self):
		self.openai.script(call("export_list", EXPORT))
		self.say("exporta las facturas")
		command = frappe.get_last_doc("Chatbot Command")
		[status] = self.say("/status")
		self.assertIn(command.name, self.body(status))
		[stopped] = self.say("cancelar")
		self.assertEqual(self.body(stopped), texts.text("long_cancelled", "es", ref=command.name))
		f.run_jobs()  # the job finds it Cancelled and does nothing
		self.assertEqual(frappe.db.get_value("Chatbot Command", command.name, "status"), "Cancelled")
		self.assertFalse([s for s in self.graph.sent_messages() if s["type"] == "document"])


class TestLongCommandsWithWorkers(f.InterpreterTestCase):
	"""Real worker processes: one on `long`, one on `short` (a running export must not hold up chat)."""

	settings = {"progress_interval_seconds": 1}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.slow = define_slow_command(cls.addClassCleanup)
		cls.web = WebServer(workers=2).start()
		cls.addClassCleanup(cls.web.stop)

	def deliver(self, text: str):
		raw, headers = f.signed(f.text_webhook(text, wa_id=self.MX))
		self.assertEqual(self.web.post_webhook(raw, headers).status_code, 200)

	def texts_sent(self):
		return [(r.at, r.json) for r in self.graph.requests if r.json and r.json.get("_ok")]

	def test_progress_in_order_and_throttled(self):
		self.openai.script(call(self.slow, {"steps": 20, "seconds": 1}))
		with Worker("short,default", name="worker-short"), Worker("long", name="worker-long"):
			self.deliver("haz el proceso lento")
			self.graph.wait_for(
				lambda g: any(
					m.get("type") == "text" and "Done" in m["text"]["body"] for m in g.sent_messages()
				),
				timeout=200,  # 20 s of work, behind whatever other sites queued on the bench-wide long queue
			)
		sent = self.texts_sent()
		bodies = [m["text"]["body"] for _, m in sent]
		frappe.db.rollback()
		command = frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})
		self.assertEqual(bodies[0], texts.text("working", "es", ref=command.name))
		steps = [b for b in bodies if "% listo" in b]
		self.assertEqual(
			steps,
			[
				texts.text("progress", "es", ref=command.name, percent=p, note=n)
				for p, n in self._expected_steps(steps)
			],
		)
		self.assertEqual(bodies[-1], "Done: 20 steps.")
		gaps = [b[0] - a[0] for a, b in itertools.pairwise(sent)]
		self.assertTrue(all(gap >= 5.9 for gap in gaps[:-1]), gaps)  # Meta's 1 message / 6 s per person
		self.assertEqual(
			frappe.db.get_value("Chatbot Command", command.name, ["status", "progress"]), ("Succeeded", 100)
		)

	@staticmethod
	def _expected_steps(steps):
		# what was announced: steps in increasing order, each with the note of the report that sent it
		parsed = []
		for body in steps:
			percent = int(body.split(": ")[1].split("%")[0])
			note = body.split("% listo")[1]
			parsed.append((percent, note[3:] if note.startswith(" · ") else ""))
		percents = [p for p, _ in parsed]
		assert percents == sorted(set(percents)) and set(percents) <= {25, 50, 75}, percents
		return [(p, f" · {n}" if n else "") for p, n in parsed]

	def test_cancel_while_running(self):
		self.openai.script(call(self.slow, {"steps": 60, "seconds": 0.5}))
		with Worker("short,default", name="worker-short"), Worker("long", name="worker-long"):
			self.deliver("haz el proceso lento")
			command = wait_until(
				lambda: frappe.db.get_value(
					"Chatbot Command",
					{"contact": self.sales_contact.name, "status": "Running", "progress": (">", 0)},
				),
				timeout=180,  # RQ's long queue is bench-wide: other sites' jobs may be ahead of this one
			)
			self.deliver("cancelar")
			self.graph.wait_for(
				lambda g: any("Detuve" in (m.get("text") or {}).get("body", "") for m in g.sent_messages()),
				timeout=60,
			)
		frappe.db.rollback()  # read what the workers committed
		doc = frappe.get_doc("Chatbot Command", command)
		self.assertEqual((doc.status, doc.cancel_requested), ("Cancelled", 1))
		self.assertLess(doc.progress, 100)
		bodies = [m["text"]["body"] for m in self.graph.sent_messages() if m["type"] == "text"]
		self.assertIn(texts.text("cancel_requested", "es", ref=command), bodies)
		self.assertEqual(bodies[-1], texts.text("long_cancelled", "es", ref=command))

	def test_killed_worker_is_reported_once(self):
		self.openai.script(call(self.slow, {"steps": 120, "seconds": 1}))
		long_worker = Worker("long", name="worker-long-killed")
		with Worker("short,default", name="worker-short"):
			long_worker.start()
			try:
				self.deliver("haz el proceso lento")
				command = wait_until(
					lambda: frappe.db.get_value(
						"Chatbot Command", {"contact": self.sales_contact.name, "status": "Running"}
					),
					timeout=180,  # as above: the long queue is bench-wide
				)
			finally:
				long_worker.kill()
			self.assertEqual(sweep()["dead_long_commands"], 0)  # its heartbeat is still fresh
			time.sleep(progress.HEARTBEAT_TTL + 1)
			frappe.db.rollback()
			self.assertEqual(sweep()["dead_long_commands"], 1)
			frappe.db.commit()
			f.run_jobs()
			self.assertEqual(sweep()["dead_long_commands"], 0)  # once
			frappe.db.commit()
		failed = [
			m
			for m in self.graph.sent_messages()
			if command in (m.get("text") or {}).get("body", "") and "no terminó" in m["text"]["body"]
		]
		self.assertEqual(len(failed), 1)
		self.assertEqual(frappe.db.get_value("Chatbot Command", command, "status"), "Failed")
