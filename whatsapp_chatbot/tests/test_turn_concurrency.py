"""Turns with many workers: no worker waits on another contact's turn, one contact's messages are
answered one at a time and in order, once, and no row lock is held while the model thinks.

Real RQ workers (tests/processes.py) and the site behind gunicorn; the model's answer is held by
the OpenAI stand-in (a step that waits on an Event of this test) for as long as the test needs."""

import threading
from unittest import mock

import frappe
from frappe.utils.background_jobs import get_redis_conn
from rq.job import Job

from whatsapp_chatbot.jobs import process_message as processing
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import from_request, last_user_text, say
from whatsapp_chatbot.tests.processes import WebServer, Worker, wait_until

LOCK_TIMEOUT = 90  # a job that waited for a busy contact's lock would wait this long
PATIENCE = 45  # how long the test waits for what should happen at once (well under LOCK_TIMEOUT)


def job_status(message: str, attempt: str = "0") -> str | None:
	"""The RQ status of a stored message's processing job (inbox.enqueue_processing's id)."""
	wamid = frappe.db.get_value("Chatbot Message", message, "wamid")
	try:
		job = Job.fetch(
			f"{frappe.local.site}::whatsapp_chatbot:process:{wamid}:{attempt}", connection=get_redis_conn()
		)
	except Exception:
		return None
	return job.get_status(refresh=True)


def incoming(text: str):
	frappe.db.rollback()
	rows = f.rows("Incoming", text=text)
	return rows[0] if rows else None


def sent_to(graph, wa_id: str) -> list[str]:
	return [s["text"]["body"] for s in graph.sent_messages() if s.get("to") == wa_id and s["type"] == "text"]


class HeldModel:
	"""The stand-in model answers "re: <what the person said>", and holds its answer to `held`
	until release() (or the test's end)."""

	def __init__(self, case, held: str):
		self.held = held
		self.release_event = threading.Event()
		case.addCleanup(self.release_event.set)
		previous = case.openai.default
		case.addCleanup(setattr, case.openai, "default", previous)
		case.openai.default = from_request(self.answer)

	def answer(self, request):
		text = last_user_text(request)
		if text == self.held:
			self.release_event.wait(300)
		return say(f"re: {text}")

	def release(self):
		self.release_event.set()


class TestBusyContact(f.InterpreterTestCase):
	settings = {"lock_timeout_seconds": LOCK_TIMEOUT, "openai_timeout": 300}

	def test_a_busy_contacts_jobs_return_at_once_and_other_contacts_are_answered(self):
		run = frappe.generate_hash(length=6)
		x1, x2, x3 = (f"{word} {run}" for word in ("primero", "segundo", "tercero"))
		y1 = f"otra persona {run}"
		model = HeldModel(self, held=x1)
		with Worker("short", name="worker-busy-1"), Worker("short", name="worker-busy-2"):
			self.post(f.text_webhook(x1, wa_id=self.MX))
			wait_until(lambda: x1 in [last_user_text(r) for r in self.openai.requests], timeout=60)
			for text in (x2, x3):
				self.post(f.text_webhook(text, wa_id=self.MX))
			follow_ups = [incoming(x2).name, incoming(x3).name]
			# their jobs end at once: the holder answers them (before: each waited for the lock)
			wait_until(lambda: all(job_status(name) == "finished" for name in follow_ups), timeout=PATIENCE)
			self.assertEqual(incoming(x1).status, "Processing", "the first turn is still with the model")
			self.assertEqual([incoming(t).status for t in (x2, x3)], ["Received", "Received"])

			# another contact is answered meanwhile by the worker those jobs left free
			self.post(f.text_webhook(y1, wa_id=self.STORE_MX))
			wait_until(lambda: sent_to(self.graph, self.STORE_MX) == [f"re: {y1}"], timeout=PATIENCE)
			self.assertEqual(incoming(x1).status, "Processing")
			self.assertEqual(incoming(y1).status, "Answered")

			model.release()
			wait_until(lambda: len(sent_to(self.graph, self.MX)) >= 3, timeout=90)
			wait_until(lambda: not f.rows("Incoming", status=("in", ("Received", "Processing"))), timeout=60)

		self.assertEqual(sent_to(self.graph, self.MX), [f"re: {x1}", f"re: {x2}", f"re: {x3}"])
		asked = [last_user_text(r) for r in self.openai.requests]
		self.assertEqual([t for t in asked if run in t and t != y1], [x1, x2, x3], "once each, in order")
		rows = {t: incoming(t) for t in (x1, x2, x3, y1)}
		self.assertEqual({(r.status, r.attempts) for r in rows.values()}, {("Answered", 1)})
		replies = f.rows("Outgoing", contact=self.sales_contact.name)
		self.assertEqual([r.in_reply_to_message for r in replies], [rows[t].name for t in (x1, x2, x3)])

	def test_no_row_lock_is_held_while_the_model_thinks(self):
		"""While a turn waits on the model, other connections update its message, conversation,
		contact and the Settings without waiting (this message also changes the contact's language,
		a write of the turn itself)."""
		question = (
			f"¿Cuál es el saldo pendiente del cliente Acme? Lo necesito hoy {frappe.generate_hash(length=6)}"
		)
		self.assertFalse(self.sales_contact.language)
		model = HeldModel(self, held=question)
		with Worker("short", name="worker-locks"):
			self.post(f.text_webhook(question, wa_id=self.MX))
			wait_until(lambda: question in [last_user_text(r) for r in self.openai.requests], timeout=60)
			row = incoming(question)
			self.assertEqual(row.status, "Processing")
			frappe.db.sql("set session innodb_lock_wait_timeout = 1")
			self.addCleanup(frappe.db.sql, "set session innodb_lock_wait_timeout = default")
			for table, name in (
				("Chatbot Message", row.name),
				("Chatbot Conversation", row.conversation),
				("Chatbot Contact", row.contact),
			):
				# raises (lock wait timeout) if the turn holds the row
				frappe.db.sql(f"update `tab{table}` set modified = modified where name = %s", name)
			frappe.db.sql("update `tabSingles` set value = value where doctype = 'WhatsApp Chatbot Settings'")
			frappe.db.commit()
			# the turn's own write, committed before the model call (it held the contact's row before)
			self.assertEqual(frappe.db.get_value("Chatbot Contact", row.contact, "language"), "es")
			model.release()
			wait_until(lambda: incoming(question).status == "Answered", timeout=60)
		self.assertEqual(sent_to(self.graph, self.MX), [f"re: {question}"])


class TestLettingGo(f.InterpreterTestCase):
	"""The window between the holder's last look and its release."""

	settings = {"lock_timeout_seconds": LOCK_TIMEOUT}

	def test_a_message_whose_job_tried_while_the_holder_let_go_is_answered_by_the_holder(self):
		run = frappe.generate_hash(length=6)
		first, second = f"antes {run}", f"justo al soltar {run}"
		self.openai.script(say("uno"), say("dos"))
		self.post(f.text_webhook(first, wa_id=self.MX))
		f.clear_jobs()  # this test process is the holder; the worker runs only the second's job
		held_by_holder = {}
		look = processing.pending

		def pending_then_a_message_arrives(sender_key):
			"""The holder's look finds nothing; then, before it lets go, the second message is
			stored by the site (gunicorn) and its job runs in a worker and finds the lock taken."""
			names = look(sender_key)
			if names or held_by_holder:
				return names
			raw, headers = f.signed(f.text_webhook(second, wa_id=self.MX))
			self.assertEqual(web.post_webhook(raw, headers).status_code, 200)
			try:
				wait_until(
					lambda: incoming(second) and job_status(incoming(second).name) == "finished", PATIENCE
				)
				held_by_holder["job"] = "finished"
			except TimeoutError:
				held_by_holder["job"] = job_status(incoming(second).name)  # waiting for our lock
			held_by_holder["status"] = incoming(second).status
			return names  # what the look found: nothing

		with WebServer(name="web-letting-go") as web, Worker("short", name="worker-letting-go"):
			with mock.patch.object(processing, "pending", pending_then_a_message_arrives):
				processing.process_message(incoming(first).name)
			frappe.db.commit()
			self.assertEqual(held_by_holder, {"job": "finished", "status": "Received"})
			# answered by the holder before it returned: no sweep, no other job
			self.assertEqual(
				[(incoming(t).status, incoming(t).attempts) for t in (first, second)],
				[("Answered", 1), ("Answered", 1)],
			)
			self.assertEqual(sent_to(self.graph, self.MX), ["uno", "dos"])
		self.assertEqual([last_user_text(r) for r in self.openai.requests], [first, second])
