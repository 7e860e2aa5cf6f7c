"""End to end over real HTTP: Meta (a signed POST) → gunicorn → MariaDB → Redis/RQ → a real worker
process → the fake Graph server. Also the reliability cases: a storm of redeliveries and a worker
killed in the middle of a job."""

import json
import random
from concurrent.futures import ThreadPoolExecutor

import frappe
import requests

from whatsapp_chatbot import texts
from whatsapp_chatbot.jobs.sweep import sweep
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.processes import WebServer, Worker, wait_until

MX = "5215512345678"
WEBHOOK = "/api/method/whatsapp_chatbot.api.webhook"
# Fresh wamids per run: a job killed with its worker stays "started" in RQ, and Frappe's
# deduplication would then (rightly) refuse a new job with the same id on the next run.
RUN = frappe.generate_hash(length=6)


class EndToEndTestCase(f.ChatbotTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.web = WebServer(workers=2).start()

	@classmethod
	def tearDownClass(cls):
		cls.web.stop()
		super().tearDownClass()

	def deliver(self, body: dict | bytes, session=None) -> requests.Response:
		raw, headers = f.signed(body)
		return (session or requests).post(
			self.web.base_url + WEBHOOK, data=raw, headers=self.web.headers(headers), timeout=30
		)


class TestWebhookToReply(EndToEndTestCase):
	def test_reply_arrives_at_meta(self):
		f.make_contact(MX, user=f.make_user("chatbot-e2e@example.com"))
		verify = requests.get(
			self.web.base_url + WEBHOOK,
			params={"hub.mode": "subscribe", "hub.verify_token": f.VERIFY_TOKEN, "hub.challenge": "987654"},
			headers=self.web.headers(),
			timeout=10,
		)
		self.assertEqual((verify.status_code, verify.text), (200, "987654"))
		unsigned = requests.post(
			self.web.base_url + WEBHOOK, json=f.text_webhook("hola"), headers=self.web.headers(), timeout=10
		)
		self.assertEqual(unsigned.status_code, 401)

		with Worker("short"):  # other apps' jobs on default/long must not delay this one
			response = self.deliver(
				f.text_webhook("¿cuánto stock queda del ítem TORN-M8?", wa_id=MX, wamid=f"wamid.E2E{RUN}")
			)
			self.assertEqual((response.status_code, response.text), (200, "OK"))
			[reply] = self.graph.wait_for(lambda g: g.sent_messages(), timeout=60)
		self.assertEqual((reply["to"], reply["text"]["body"]), (MX, texts.text("not_configured", "es")))
		self.assertEqual([r["message_id"] for r in self.graph.read_receipts()], [f"wamid.E2E{RUN}"])
		outgoing = wait_until(lambda: f.rows("Outgoing", status="Sent"))
		self.assertEqual(outgoing[0].wamid, reply["_wamid"])
		self.assertEqual(f.rows("Incoming")[0].status, "Answered")


class TestRedeliveryStorm(EndToEndTestCase):
	def test_1000_deliveries_of_300_messages(self):
		bodies = [
			f.text_webhook(f"mensaje {i}", wa_id=f"52155{i % 30:08d}", wamid=f"wamid.STORM{RUN}{i:04d}")
			for i in range(300)
		]
		raws = [json.dumps(b).encode() for b in bodies]
		deliveries = raws + [random.choice(raws) for _ in range(700)]
		random.Random(7).shuffle(deliveries)

		session = requests.Session()
		with ThreadPoolExecutor(max_workers=16) as pool:
			statuses = list(pool.map(lambda raw: self.deliver(raw, session).status_code, deliveries))
		self.assertEqual(statuses, [200] * 1000)
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Chatbot Message", {"direction": "Incoming"}), 300)
		self.assertEqual(len({r.wamid for r in f.rows("Incoming")}), 300)
		jobs = f.queued_jobs()  # no worker runs in this test: every job is still queued
		self.assertEqual(len(jobs), 300)
		self.assertEqual(len({j.kwargs["kwargs"]["message"] for j in jobs}), 300)


class TestSameMessageTwentyTimesAtOnce(EndToEndTestCase):
	def test_one_row_one_job(self):
		raw = json.dumps(f.text_webhook("hola", wa_id=MX, wamid=f"wamid.TWENTY{RUN}")).encode()
		with ThreadPoolExecutor(max_workers=20) as pool:
			statuses = list(pool.map(lambda _: self.deliver(raw).status_code, range(20)))
		self.assertEqual(statuses, [200] * 20)
		frappe.db.rollback()
		self.assertEqual(len(f.rows("Incoming")), 1)
		self.assertEqual(len(f.queued_jobs()), 1)


class TestKilledWorker(EndToEndTestCase):
	settings = {"stale_after_seconds": 1, "lock_timeout_seconds": 4}

	def test_answer_after_the_sweep_and_never_twice(self):
		f.make_contact(MX, user=f.make_user("chatbot-killed@example.com"))
		self.graph.read_receipt_delay = 60  # the job hangs in its first Graph call
		first = Worker("short", name="worker-killed").start()
		try:
			self.assertEqual(
				self.deliver(f.text_webhook("hola", wa_id=MX, wamid=f"wamid.KILLED{RUN}")).status_code, 200
			)
			self.graph.wait_for(lambda g: g.read_receipts(), timeout=60)  # the job is mid-flight
		finally:
			first.kill()
		[incoming] = f.rows("Incoming")
		self.assertEqual((incoming.status, incoming.attempts), ("Processing", 1))
		self.assertEqual(self.graph.sent_messages(), [])

		self.graph.read_receipt_delay = 0
		with Worker("short", name="worker-after-kill"):
			wait_until(lambda: sweep()["incoming"], timeout=30)  # stale after 1 s
			frappe.db.commit()  # hands the re-enqueued job to the worker
			[reply] = self.graph.wait_for(lambda g: g.sent_messages(), timeout=60)
			self.assertEqual(reply["text"]["body"], texts.text("not_configured", "es"))
			wait_until(lambda: f.rows("Incoming", status="Answered"))

			# the answer is sent and recorded: sweeps and stray jobs never send it again
			frappe.db.set_value(
				"Chatbot Message", incoming.name, "modified", "2000-01-01", update_modified=False
			)
			frappe.db.commit()
			self.assertEqual(sweep()["incoming"], 0)
			from whatsapp_chatbot.channel import inbox, outbox

			inbox.enqueue_processing(incoming.name, incoming.wamid, attempt="stray")
			outbox.enqueue_send(f.rows("Outgoing")[0].name, attempt="stray")
			frappe.db.commit()
			wait_until(lambda: not f.queued_jobs(), timeout=30)
		self.assertEqual(len(self.graph.sent_messages()), 1)
		[outgoing] = f.rows("Outgoing")
		self.assertEqual((outgoing.status, outgoing.attempts), ("Sent", 1))
		frappe.db.rollback()
		self.assertEqual(f.rows("Incoming")[0].attempts, 2, f.rows("Incoming"))
