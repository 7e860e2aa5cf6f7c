"""Held messages with real processes: RQ workers send, gunicorn takes the contact's signed reply as
Meta delivers it, and a worker SIGKILLed between the release and the send loses nothing."""

import time

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.channel import outbox
from whatsapp_chatbot.jobs.sweep import sweep
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.processes import WebServer, Worker, wait_until

MX = "5215512345678"


class TestHeldWithWorkers(f.ChatbotTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.web = WebServer(workers=2).start()
		cls.addClassCleanup(cls.web.stop)

	def setUp(self):
		super().setUp()
		self.waiting = f.make_waiting_template(self.graph)
		self.addCleanup(f.forget_template, self.waiting)
		self.contact = f.make_contact(
			MX,
			user=f.make_user("chatbot-held-workers@example.com"),
			last_inbound_at=add_to_date(now_datetime(), hours=-25),  # silent for 25 hours
		)

	def queue(self, *texts):
		names = [name for text in texts for name in outbox.queue_text(self.contact, text)]
		frappe.db.commit()
		return names

	def statuses(self, names):
		frappe.db.rollback()  # what the workers committed
		return [frappe.db.get_value("Chatbot Message", name, "status") for name in names]

	def reply(self, text="hola"):
		response = self.web.post_webhook(*f.signed(f.text_webhook(text, wa_id=MX)))
		self.assertEqual(response.status_code, 200, response.text)

	def texts(self):
		return [s["text"]["body"] for s in self.graph.sent_messages() if s["type"] == "text"]

	def templates(self):
		return [s for s in self.graph.sent_messages() if s["type"] == "template"]

	def answer(self):
		frappe.db.rollback()
		incoming = frappe.get_last_doc("Chatbot Message", filters={"direction": "Incoming", "wa_id": MX})
		return frappe.db.get_value("Chatbot Message", {"in_reply_to_message": incoming.name}, "text")

	def test_one_template_then_everything_in_order_after_the_reply(self):
		with Worker("short", name="worker-held"):
			names = self.queue("uno", "dos", "tres")
			self.graph.wait_for(lambda g: self.templates(), timeout=60)
			wait_until(lambda: self.statuses(names) == ["Held"] * 3, timeout=30)
			[template] = self.templates()
			self.assertEqual(template["template"]["components"][0]["parameters"][0]["text"], "3")
			# another message while the template waits for an answer: held too, no second template
			names += self.queue("cuatro")
			wait_until(lambda: self.statuses(names[-1:]) == ["Held"], timeout=30)
			self.assertEqual(len(self.templates()), 1)
			self.assertEqual(self.texts(), [])

			self.reply("hola")
			self.graph.wait_for(lambda g: len(self.texts()) == 5, timeout=60)
			f.settled(MX, timeout=60)
		self.assertEqual(self.texts(), ["uno", "dos", "tres", "cuatro", self.answer()])
		self.assertEqual(self.statuses(names), ["Sent"] * 4)
		self.assertEqual(len(self.templates()), 1)

	def test_nothing_is_lost_when_the_worker_is_killed_between_release_and_send(self):
		f.make_settings(self.graph.base_url, lock_timeout_seconds=3, stale_after_seconds=2)
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "waiting_template", self.waiting)
		frappe.db.commit()
		names = self.queue("uno", "dos", "tres")
		f.run_jobs()  # held, and the waiting template sent
		self.assertEqual(self.statuses(names), ["Held"] * 3)
		self.graph.reset()

		self.graph.read_receipt_delay = 120  # the worker sits in the turn, after the release commit
		worker = Worker("short", name="worker-held-killed").start()
		try:
			self.reply("hola")
			self.graph.wait_for(lambda g: g.read_receipts(), timeout=60)
			self.assertEqual(self.statuses(names), ["Queued"] * 3)  # released and committed…
		finally:
			worker.kill()  # …and the worker gone before sending any of them
			self.graph.read_receipt_delay = 0
		self.assertEqual(self.texts(), [])

		time.sleep(3.5)  # the dead worker's sender lock expires; its rows are stale
		counts = sweep()
		frappe.db.commit()
		self.assertEqual((counts["incoming"], counts["outgoing"]), (1, 1))  # the turn again, and the sends
		self.assertEqual(self.texts(), [])
		with Worker("short", name="worker-held-after"):
			self.graph.wait_for(lambda g: len(self.texts()) == 4, timeout=60)
			f.settled(MX, timeout=60)
		self.assertEqual(self.texts(), ["uno", "dos", "tres", self.answer()])  # each once, in order
		frappe.db.rollback()
		self.assertEqual(
			[frappe.db.get_value("Chatbot Message", n, ["status", "attempts"]) for n in names],
			[("Sent", 1)] * 3,
		)
