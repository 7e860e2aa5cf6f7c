"""Reports that come due while the contact's 24-hour window is closed: the outbox holds them behind
ONE "messages waiting" template (channel/held.py, not a mechanism of the subscriptions), and they go
out in order when the contact writes. Two reports the same morning: one template, not two."""

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.subscriptions import due
from whatsapp_chatbot.tests import factories as f


class TestOutsideTheWindow(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		self.waiting = f.make_waiting_template(self.graph)
		self.addCleanup(f.forget_template, self.waiting)
		# silent since yesterday morning: Meta takes only templates now
		self.sales_contact.db_set("last_inbound_at", add_to_date(now_datetime(), hours=-25))
		frappe.db.commit()

	def test_two_reports_one_template_then_both_in_order_after_the_reply(self):
		first = f.make_subscription(
			self.sales_contact,
			"sales_summary",
			period="Yesterday",
			title="Ventas de ayer",
			due=add_to_date(now_datetime(), minutes=-2),
		)
		second = f.make_subscription(
			self.sales_contact,
			"stock_balance",
			{"item": "TORN-M8"},
			title="Stock del TORN-M8",
			due=add_to_date(now_datetime(), minutes=-1),
		)
		claimed = due.tick()
		self.assertEqual([name for name, _ in claimed], [first.name, second.name])
		f.run_jobs()

		sent = self.graph.sent_messages()
		self.assertEqual([s["type"] for s in sent], ["template"])  # one template for both reports
		held = frappe.get_all(
			"Chatbot Message",
			filters={"contact": self.sales_contact.name, "direction": "Outgoing", "status": "Held"},
			fields=["text"],
			order_by="creation asc",
		)
		self.assertEqual(len(held), 2)
		self.assertTrue(held[0].text.startswith("🔔 Ventas de ayer"), held[0].text)
		self.assertTrue(held[1].text.startswith("🔔 Stock del TORN-M8"), held[1].text)

		# the contact writes: the reports go first, in their order, then the answer
		answer = self.say("/subscriptions")
		bodies = [s["text"]["body"] for s in answer]
		self.assertEqual(len(bodies), 3, bodies)
		self.assertTrue(bodies[0].startswith("🔔 Ventas de ayer\n\n*Ventas "), bodies[0])
		self.assertTrue(bodies[1].startswith("🔔 Stock del TORN-M8\n\n"), bodies[1])
		self.assertIn("Reportes que te llegan solos:", bodies[2])
		self.assertEqual(len([s for s in self.graph.sent_messages() if s["type"] == "template"]), 1)
