"""A burst on the turn queue, over real processes: Meta's signed POSTs → gunicorn → one real RQ worker
→ a slow OpenAI stand-in (seconds a call, like a real model) → the Graph stand-in.

Contacts whose message waits behind a backlog hear "⏳ many requests right now" once, in their
language, before the turns queued ahead of theirs are answered; strangers hear nothing; every
message is still answered once; with the threshold 0 nobody is told. The Desk's figures of the turn
queue (api/turn_queue.py) match what the test put in the queue and the workers it started."""

from __future__ import annotations

import frappe
import requests

from whatsapp_chatbot import texts
from whatsapp_chatbot.api import turn_queue as endpoint
from whatsapp_chatbot.channel import backlog
from whatsapp_chatbot.jobs.queues import turn_queue
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, from_request, say
from whatsapp_chatbot.tests.processes import WebServer, Worker, wait_until

RUN = frappe.generate_hash(length=6)
DIGITS = "".join(str(int(c, 16) % 10) for c in RUN)  # numbers of this run only
WEBHOOK = "/api/method/whatsapp_chatbot.api.webhook"
MODEL_SECONDS = 2.5  # each model call: a turn takes at least this
FIRST_TURN_SECONDS = 10  # the first turn holds the only worker while the burst arrives
THRESHOLD = 12  # seconds: with no turn measured yet (5 s a turn), three waiting turns are a backlog
SPANISH = 5  # the contact of the burst who reads Spanish
DONE = ("Answered", "Ignored", "Failed")


def user_text(request: dict) -> str:
	content = [m for m in request.get("messages", []) if m.get("role") == "user"][-1]["content"]
	return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


class BurstTestCase(f.ChatbotTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.openai = FakeOpenAI().start()
		# the answer names the question, so each one is found; every call takes MODEL_SECONDS
		cls.openai.default = from_request(lambda r: say(f"answer: {user_text(r)}", delay=MODEL_SECONDS))
		cls.web = WebServer(workers=2).start()
		cls.user = f.make_chat_user(f"chatbot-burst-{RUN.lower()}@example.com")

	@classmethod
	def tearDownClass(cls):
		cls.web.stop()
		cls.openai.stop()
		super().tearDownClass()
		frappe.delete_doc("User", cls.user, force=True, ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		self.settings = {
			**type(self).settings,
			"openai_api_key": "sk-test-key",
			"openai_base_url": self.openai.base_url,
			"openai_model": "gpt-4.1-mini",
			"openai_timeout": 30,
		}
		super().setUp()
		self.openai.reset()
		# the next test class gets the default back, whatever this one set
		self.addCleanup(self._threshold, 60)

	@staticmethod
	def _threshold(seconds: int) -> None:
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "busy_notice_after_seconds", seconds)
		frappe.db.commit()

	def deliver(self, text: str, wa_id: str, index: int) -> None:
		wamid = f"wamid.BURST{RUN}{index:03d}"
		self.delivered.append(wamid)
		raw, headers = f.signed(f.text_webhook(text, wa_id=wa_id, wamid=wamid))
		response = requests.post(
			self.web.base_url + WEBHOOK, data=raw, headers=self.web.headers(headers), timeout=30
		)
		self.assertEqual((response.status_code, response.text), (200, "OK"))

	def contacts(self, count: int) -> list:
		made = []
		for i in range(count):
			spanish = i == SPANISH
			number = f"{'52155' if spanish else '1555'}{DIGITS}{i:02d}"
			made.append(f.make_contact(number, user=self.user, language="es" if spanish else "en"))
		frappe.db.commit()
		return made

	def burst(self, contacts: list, stranger: str | None = None, again: int | None = None) -> dict:
		"""One message from each contact as fast as Meta would deliver them, a stranger's among them,
		and a second message from contact `again`; returns each text's sender."""
		sent = {}
		self.delivered = []
		# the first contact's turn keeps the one worker busy while the others arrive, so the queue
		# grows one turn per message, however fast this machine posts them
		first = f"question {RUN} 0"
		self.openai.script(from_request(lambda r: say(f"answer: {user_text(r)}", delay=FIRST_TURN_SECONDS)))
		with Worker(turn_queue(), name="worker-burst"):
			wait_until(lambda: backlog.live_workers(backlog.queue()) > 0, timeout=30)
			for i, contact in enumerate(contacts):
				text = f"question {RUN} {i}"
				self.deliver(text, contact.wa_id, i)
				sent[text] = contact.wa_id
				if text == first:  # its turn has the worker (and the slow first model call)
					self.openai_wait(1)
				if stranger and i == len(contacts) // 2:
					self.deliver(f"question {RUN} stranger", stranger, 90)
			if again is not None:
				text = f"question {RUN} {again} again"
				self.deliver(text, contacts[again].wa_id, 91)
				sent[text] = contacts[again].wa_id
			expected = len(sent) + (1 if stranger else 0)
			wait_until(lambda: self._settled(expected), timeout=len(sent) * MODEL_SECONDS * 3 + 30)
			# a message its sender's earlier turn answered still has its own job, which starts (and
			# ends at once) after the answer: the worker measures its wait then, so let it run
			wait_until(lambda: self._jobs_ended(self.delivered), timeout=60)
		return sent

	@staticmethod
	def _jobs_ended(wamids: list[str]) -> bool:
		from frappe.utils.background_jobs import create_job_id
		from rq.job import Job

		from whatsapp_chatbot.channel.inbox import processing_job_id

		ids = [create_job_id(processing_job_id(wamid, "0")) for wamid in wamids]
		jobs = Job.fetch_many(ids, connection=backlog.queue().connection)
		return all(job is None or job.get_status(refresh=False) in ("finished", "failed") for job in jobs)

	def openai_wait(self, calls: int) -> None:
		try:
			wait_until(lambda: len(self.openai.requests) >= calls, timeout=30)
		except TimeoutError:
			frappe.db.rollback()
			rows = frappe.get_all("Chatbot Message", fields=["direction", "status", "text", "error_message"])
			raise AssertionError(f"the model was not asked: {rows}") from None

	@staticmethod
	def _settled(incoming: int) -> bool:
		frappe.db.rollback()  # what the worker committed
		done = frappe.db.count("Chatbot Message", {"direction": "Incoming", "status": ("in", DONE)})
		sending = frappe.db.count(
			"Chatbot Message", {"direction": "Outgoing", "status": ("in", ("Queued", "Sending"))}
		)
		return done == incoming and not sending

	def events(self) -> list[dict]:
		"""What reached Meta, in arrival order: read receipts (a turn starting) and messages sent."""
		return [
			r.json
			for r in list(self.graph.requests)
			if r.json
			and (r.json.get("status") == "read" or (r.json.get("type") == "text" and r.json.get("_ok")))
		]

	def assert_each_answered_once(self, sent: dict) -> None:
		answers = [
			m["text"]["body"] for m in self.graph.sent_messages() if m["text"]["body"].startswith("answer:")
		]
		self.assertEqual(sorted(answers), sorted(f"answer: {text}" for text in sent), answers)
		for row in f.rows("Incoming"):
			if row.wa_id in sent.values():
				self.assertEqual(row.status, "Answered", row.name)
				self.assertEqual(
					frappe.db.count("Chatbot Message", {"in_reply_to_message": row.name, "status": "Sent"}), 1
				)


class TestBusyNotice(BurstTestCase):
	def test_waiting_contacts_hear_once_before_the_backlog_drains(self):
		self._threshold(THRESHOLD)
		contacts = self.contacts(8)
		stranger = f"1666{DIGITS}99"
		sent = self.burst(contacts, stranger=stranger, again=7)
		self.assert_each_answered_once(sent)

		notices = {texts.text("busy", "en"), texts.text("busy", "es")}
		self.assertNotEqual(*notices)
		events = self.events()
		told = [
			(i, e["to"], e["text"]["body"])
			for i, e in enumerate(events)
			if e.get("text", {}).get("body") in notices
		]
		by_contact = {}
		for _index, to, body in told:
			by_contact.setdefault(to, []).append(body)
		# once per contact, though the last one wrote twice into the backlog
		self.assertTrue(all(len(bodies) == 1 for bodies in by_contact.values()), by_contact)
		# the first found an empty queue, the second and third one and two turns waiting (5 s each,
		# none measured yet: 10 s ≤ 12 s); from the fourth on three or more waited: 15 s > 12 s
		self.assertEqual(set(by_contact), {c.wa_id for c in contacts[3:]}, told)
		self.assertEqual(by_contact[contacts[SPANISH].wa_id], [texts.text("busy", "es")])
		self.assertEqual(by_contact[contacts[6].wa_id], [texts.text("busy", "en")])
		# strangers hear nothing at all
		self.assertFalse([e for e in events if e.get("to") == stranger])
		self.assertFalse(f.rows("Outgoing", wa_id=stranger))

		# before the backlog drained: each notice reached Meta before that contact's turn started,
		# and before the answer of the contact who wrote just before (whose turn was queued ahead)
		receipts = {e["message_id"]: i for i, e in enumerate(events) if e.get("status") == "read"}
		answers = {
			e["text"]["body"]: i
			for i, e in enumerate(events)
			if e.get("text", {}).get("body", "").startswith("answer:")
		}
		for index, to, _body in told:
			position = next(i for i, c in enumerate(contacts) if c.wa_id == to)
			self.assertLess(index, receipts[f"wamid.BURST{RUN}{position:03d}"], to)
			self.assertLess(index, answers[f"answer: question {RUN} {position - 1}"], to)

		# the Desk's figures come from what the worker measured: one wait and one duration a job
		status = endpoint.status()
		jobs = len(f.rows("Incoming"))
		self.assertEqual(status["waits_measured"], jobs)
		self.assertTrue(status["turn_seconds_measured"])
		self.assertEqual(len(backlog.recent(backlog.TURNS)), jobs)
		# the last turns waited behind several turns of the slow model
		self.assertGreater(status["wait_p99_seconds"], 2 * MODEL_SECONDS)
		self.assertGreaterEqual(max(backlog.recent(backlog.TURNS)), MODEL_SECONDS)

	def test_threshold_zero_tells_nobody(self):
		self._threshold(0)
		contacts = self.contacts(6)
		sent = self.burst(contacts)
		self.assert_each_answered_once(sent)
		notices = {texts.text("busy", "en"), texts.text("busy", "es")}
		self.assertFalse([m for m in self.graph.sent_messages() if m["text"]["body"] in notices])
		# the backlog was there all the same: the last turn waited behind the others
		self.assertGreater(endpoint.status()["wait_p99_seconds"], 2 * MODEL_SECONDS)


class TestTurnQueueFigures(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		frappe.set_user("Administrator")
		self.queued = []
		self.addCleanup(self._remove_jobs)

	def _remove_jobs(self):
		for job in self.queued:
			job.delete()

	def _enqueue(self, count: int) -> None:
		for i in range(count):
			self.queued.append(
				frappe.enqueue(
					"frappe.ping",
					queue=turn_queue(),
					job_id=f"whatsapp_chatbot:figures:{RUN}:{i}",
				)
			)

	def test_depth_workers_and_wait_of_what_the_test_queued(self):
		from rq import Worker as RQWorker

		rq_queue = backlog.queue()
		registered = len(RQWorker.all(queue=rq_queue))  # rq's own reading of the registry
		before = endpoint.status()
		self.assertEqual(before["queue"], turn_queue())
		self.assertEqual(before["workers"], registered)
		self._enqueue(3)
		wait_until(lambda: (endpoint.status()["oldest_wait_seconds"] or 0) >= 1.0, timeout=10)
		after = endpoint.status()
		self.assertEqual(after["depth"], before["depth"] + 3)
		self.assertEqual(endpoint.turns_waiting()["value"], after["depth"])
		if not registered:  # no worker: the queue never drains, and nobody is told
			self.assertIsNone(after["drain_seconds"])
			self.assertFalse(after["busy"])
		with Worker("long", name="worker-not-turns"):  # a worker on another queue does not count
			with Worker(turn_queue(), name="worker-figures"):
				wait_until(lambda: endpoint.status()["workers"] == registered + 1, timeout=30)
				wait_until(lambda: endpoint.status()["depth"] <= before["depth"], timeout=30)

	def test_only_managers(self):
		chat_user = f.make_user(f"chatbot-figures-{RUN.lower()}@example.com")
		self.addCleanup(frappe.delete_doc, "User", chat_user, force=True, ignore_permissions=True)
		frappe.set_user(chat_user)
		try:
			for method in (endpoint.status, endpoint.turns_waiting, endpoint.turn_wait_p50):
				self.assertRaises(frappe.PermissionError, method)
		finally:
			frappe.set_user("Administrator")
		manager = f.make_manager(f"chatbot-figures-manager-{RUN.lower()}@example.com")
		self.addCleanup(frappe.delete_doc, "User", manager, force=True, ignore_permissions=True)
		frappe.set_user(manager)
		try:
			self.assertEqual(endpoint.turn_wait_p50()["fieldtype"], "Float")
			self.assertIn("depth", endpoint.status())
		finally:
			frappe.set_user("Administrator")
