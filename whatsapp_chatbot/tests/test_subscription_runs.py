"""Subscriptions running by themselves in a real site: the scheduler's tick claims what is due, a job
runs each as its User through the dispatcher, and the outbox delivers it (Graph stand-in).

Text, chart (image) and XLSX (as long work) arrive; "yesterday"-style periods are dates of the run
day; a User who lost the role gets nothing and is told once; three real failures pause it and tell
the owner and the managers; a gap of days runs once; two schedulers ticking at once (two processes)
claim each run once."""

import frappe
from frappe.utils import add_days, add_to_date, get_datetime, getdate, now_datetime

from whatsapp_chatbot.subscriptions import due, schedule
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.erpnext_data import INVOICE_TOTALS
from whatsapp_chatbot.tests.processes import sites_path
from whatsapp_chatbot.tests.ticks import at_once

SUB = "Chatbot Subscription"
RUN_JOB = "whatsapp_chatbot.jobs.subscriptions.run_subscription"


def minutes_ago(minutes: float):
	return add_to_date(now_datetime(), minutes=-minutes)


class RunTestCase(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		for contact in (self.sales_contact, self.store_contact):
			contact.db_set("last_inbound_at", now_datetime())  # the 24-hour window is open
		frappe.db.commit()

	def tick_and_run(self) -> list:
		"""One scheduler tick, then the jobs it queued (and theirs); what reached Meta."""
		before = len(self.graph.sent_messages())
		claimed = due.tick()
		f.run_jobs()
		self.claimed = claimed
		return self.graph.sent_messages()[before:]

	def due_again(self, sub):
		frappe.db.set_value(SUB, sub.name, "next_run_at", minutes_ago(1))
		frappe.db.commit()

	def commands(self, contact) -> list:
		return frappe.get_all(
			"Chatbot Command", filters={"contact": contact.name}, fields=["*"], order_by="creation asc"
		)


class TestDailyRuns(RunTestCase):
	def test_a_text_report_runs_once_as_its_user_with_its_relative_period(self):
		sub = f.make_subscription(
			self.sales_contact,
			"sales_summary",
			period="Last 7 Days",
			title="Ventas de la semana",
			due=minutes_ago(1),
		)
		[sent] = self.tick_and_run()
		self.assertEqual([name for name, _ in self.claimed], [sub.name])
		body = sent["text"]["body"]
		self.assertTrue(body.startswith("🔔 Ventas de la semana\n\n*Ventas "), body)
		# the last 7 whole days of *today*: the invoice of 5 days ago and nothing older
		self.assertIn("en 1 factura(s)", body)
		self.assertIn(frappe.utils.fmt_money(INVOICE_TOTALS["acme_current"]), body)
		[command] = self.commands(self.sales_contact)
		self.assertEqual(
			(command.command, command.run_as, command.status), ("sales_summary", self.sales, "Succeeded")
		)
		today = getdate()
		self.assertIn(f'"from_date": "{add_days(today, -7)}"', command.arguments)
		self.assertIn(f'"to_date": "{add_days(today, -1)}"', command.arguments)
		sub.reload()
		self.assertEqual(get_datetime(sub.next_run_at), schedule.next_run("Daily", "08:00", now_datetime()))
		self.assertEqual((sub.failures, sub.last_command), (0, command.name))
		self.assertEqual(self.tick_and_run(), [])  # not due again until tomorrow 8:00

	def test_a_chart_arrives_as_an_image(self):
		f.make_subscription(self.store_contact, "stock_chart", {"item": "TORN-M8"}, due=minutes_ago(1))
		[sent] = self.tick_and_run()
		self.assertEqual(sent["type"], "image")
		caption = sent["image"]["caption"]
		self.assertTrue(
			caption.startswith("🔔 Gráfica de existencias por almacén, cada día a las 8:00\n📊"), caption
		)
		[command] = self.commands(self.store_contact)
		self.assertEqual((command.run_as, command.status), (self.storekeeper, "Succeeded"))
		self.assertTrue(command.attachment.endswith(".png"))

	def test_an_export_runs_as_long_work_and_arrives_as_xlsx(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "long_row_threshold", 1)
		frappe.db.commit()
		sub = f.make_subscription(
			self.sales_contact,
			"export_list",
			{"doctype": "Customer"},
			frequency="Weekly",
			weekday="Monday",
			title="Clientes en Excel",
			due=minutes_ago(1),
		)
		working, document = self.tick_and_run()  # the run, then the long job it queued
		self.assertIn("🔔 Clientes en Excel\n\n⏳", working["text"]["body"])
		self.assertEqual(document["type"], "document")
		self.assertTrue(document["document"]["filename"].endswith(".xlsx"))
		[command] = self.commands(self.sales_contact)
		self.assertEqual((command.kind, command.status, command.run_as), ("Long", "Succeeded", self.sales))
		sub.reload()
		self.assertEqual((sub.last_command, sub.outcome_pending), (command.name, 1))
		# its outcome is counted when the subscription runs next
		self.due_again(sub)
		self.tick_and_run()
		sub.reload()
		self.assertEqual((sub.failures, sub.enabled), (0, 1))

	def test_a_gap_of_days_runs_once(self):
		"""The server was down since three mornings ago: one run now, the next one tomorrow."""
		three_days = add_to_date(now_datetime(), days=-3)
		sub = f.make_subscription(self.store_contact, "stock_balance", {"item": "TORN-M8"}, due=three_days)
		sent = self.tick_and_run()
		self.assertEqual(len(sent), 1)
		self.assertIn("TORN-M8", sent[0]["text"]["body"])
		sub.reload()
		self.assertGreater(get_datetime(sub.next_run_at), now_datetime())
		self.assertLessEqual(get_datetime(sub.next_run_at), add_to_date(now_datetime(), days=1))
		self.assertEqual(self.tick_and_run(), [])
		self.assertEqual(len(self.commands(self.store_contact)), 1)


class TestWhenItCannotRun(RunTestCase):
	def test_a_user_who_lost_the_role_gets_nothing_and_is_told_once(self):
		user = f.make_chat_user(f"chatbot-subs-{frappe.generate_hash(length=6)}@example.com", ("Stock User",))
		contact = f.make_contact("5215577001122", user=user, last_inbound_at=now_datetime())
		sub = f.make_subscription(
			contact, "stock_balance", {"item": "TORN-M8"}, title="Stock", due=minutes_ago(1)
		)
		frappe.get_doc("User", user).remove_roles("Stock User")
		frappe.db.commit()

		[told] = self.tick_and_run()
		self.assertIn("Tu reporte *Stock* no se envió", told["text"]["body"])
		self.due_again(sub)
		self.assertEqual(self.tick_and_run(), [])  # told once
		self.assertEqual(self.commands(contact), [])  # nothing ran as them
		sub.reload()
		self.assertEqual((sub.enabled, sub.told_not_permitted), (1, 1))  # skipped, not paused

		frappe.get_doc("User", user).add_roles("Stock User")  # the role comes back: so do the reports
		self.due_again(sub)
		[report] = self.tick_and_run()
		self.assertIn("TORN-M8", report["text"]["body"])
		sub.reload()
		self.assertEqual(sub.told_not_permitted, 0)

	def test_three_failures_in_a_row_pause_it_and_tell_owner_and_managers(self):
		manager = f.make_manager(f"chatbot-subs-mgr-{frappe.generate_hash(length=6)}@example.com")
		definition = frappe.get_doc(
			{
				"doctype": "Chatbot Command Definition",
				"command_name": "contar_h8",
				"description": "Count records (subscription tests)",
				"handler_type": "Whitelisted Method",
				"method": "frappe.client.get_count",
				"needs_confirmation": 0,
				"parameters": [{"parameter_name": "doctype", "type": "string", "required": 1}],
			}
		).insert(ignore_permissions=True)
		self.addCleanup(
			lambda: (frappe.delete_doc(definition.doctype, definition.name, force=True), frappe.db.commit())
		)
		# a DocType that does not exist: Frappe raises for real on every run
		sub = f.make_subscription(
			self.sales_contact,
			"contar_h8",
			{"doctype": "No Such DocType H8"},
			title="Conteo",
			due=minutes_ago(1),
		)

		bodies = []
		for _ in range(3):
			bodies += [s["text"]["body"] for s in self.tick_and_run()]
			self.due_again(sub)
		self.assertEqual(len(bodies), 3)
		self.assertTrue(all("no se pudo hacer esta vez" in b for b in bodies[:2]), bodies)
		self.assertIn("Pausé tu reporte *Conteo*: falló tres veces seguidas", bodies[2])
		sub.reload()
		self.assertEqual((sub.enabled, sub.failures), (0, 3))
		self.assertTrue(sub.paused_reason.startswith("failed 3 times in a row"))
		self.assertEqual([c.status for c in self.commands(self.sales_contact)], ["Failed"] * 3)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log", {"for_user": manager, "document_type": SUB, "document_name": sub.name}
			)
		)
		self.assertEqual(self.tick_and_run(), [])  # paused: due or not, it no longer runs
		frappe.db.delete("Notification Log", {"document_type": SUB})
		frappe.db.commit()

	def test_a_contact_now_linked_to_someone_else_pauses_it_and_sends_nothing(self):
		sub = f.make_subscription(
			self.store_contact, "stock_balance", {"item": "TORN-M8"}, due=minutes_ago(1)
		)
		self.store_contact.db_set("user", self.sales)  # behind the controller's back
		frappe.db.commit()
		self.assertEqual(self.tick_and_run(), [])
		sub.reload()
		self.assertEqual(sub.enabled, 0)
		self.assertIn("another User", sub.paused_reason)
		self.assertEqual(self.commands(self.store_contact), [])
		frappe.db.delete("Notification Log", {"document_type": SUB})
		frappe.db.commit()


class TestTwoSchedulers(RunTestCase):
	def test_two_ticks_at_once_claim_each_run_once(self):
		subs = [
			f.make_subscription(
				self.store_contact, "stock_balance", {"item": "TORN-M8"}, due=minutes_ago(1 + i / 60)
			)
			for i in range(30)
		]
		names = {s.name for s in subs}
		first, second = at_once(frappe.local.site, sites_path())
		self.assertTrue(first["late"] < 0 and second["late"] < 0)  # both waiting, released together
		claimed = first["claimed"] + second["claimed"]
		self.assertEqual(sorted(claimed), sorted(names))  # every due run claimed, none twice
		queued = [j for j in f.queued_jobs("short") if j.kwargs["kwargs"].get("subscription") in names]
		self.assertEqual(len(queued), len(names))  # one job per run
		frappe.db.rollback()
		self.assertTrue(
			all(
				get_datetime(r.next_run_at) > now_datetime()
				for r in frappe.get_all(SUB, fields=["next_run_at"])
			)
		)
		f.clear_jobs()
