"""A confirmed remote write runs once, even when the worker running it is killed (issue 16).

The real remote site (remote.localhost under gunicorn) sits behind a loopback proxy that forwards
every call and, for the first Quotation insert, holds the answer after the remote has committed
it: a slow link back. While it is held the test SIGKILLs the real RQ worker running the Confirm,
so that worker dies after the remote write and before its own commit. Then the same button
message is processed again, by a new worker after the sweep, or by its job run directly: the
remote still has one Quotation, the command is Failed as interrupted, and the contact is told
once to check the document.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel import locks
from whatsapp_chatbot.jobs.process_message import process_message
from whatsapp_chatbot.jobs.sweep import sweep
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests import remote_fixture as rf
from whatsapp_chatbot.tests.fake_openai import call
from whatsapp_chatbot.tests.local_server import LocalServer
from whatsapp_chatbot.tests.processes import Worker, wait_until

setUpModule = rf.start_remote
tearDownModule = rf.stop_remote

INSERT = "/api/method/frappe.client.insert"
INTERRUPTED = "interrupted; not run again to avoid doing it twice — check the document"  # on the command


class SlowAnswer(BaseHTTPRequestHandler):
	"""Forwards everything to the remote; the first Quotation insert's answer is held (after the
	remote committed it) until the test releases it."""

	upstream = ""
	inserted: threading.Event
	release: threading.Event
	held: list

	def _forward(self):
		body, answer = rf.ask_upstream(self, self.upstream + self.path)
		if self.path.startswith(INSERT) and not self.held and _doctype(body) == "Quotation":
			self.held.append(answer.json())
			self.inserted.set()  # the remote has committed the Quotation; its answer is on its way
			self.release.wait(60)
		rf.answer_with(self, answer)

	do_GET = do_POST = _forward

	def log_message(self, *args):
		pass


def _doctype(body: bytes | None) -> str | None:
	doc = parse_qs((body or b"").decode()).get("doc", ["{}"])[0]
	return json.loads(doc).get("doctype")


def swept_again() -> int:
	"""One sweep, its jobs handed to the workers; how many incoming messages it queued again."""
	counts = sweep()
	frappe.db.commit()
	return counts["incoming"]


class TestConfirmedWriteRunsOnce(rf.RemoteTestCase):
	settings = {"lock_timeout_seconds": 4, "stale_after_seconds": 1}

	def setUp(self):
		super().setUp()
		handler = type(
			"Proxy",
			(SlowAnswer,),
			{
				"upstream": self.web.base_url,
				"inserted": threading.Event(),
				"release": threading.Event(),
				"held": [],
			},
		)
		self.proxy_handler = handler
		self.proxy = LocalServer(handler).start()
		self.site.db_set("base_url", self.proxy.base_url)
		frappe.db.commit()
		self.before = set(self.remote_quotations())

	def tearDown(self):
		self.proxy_handler.release.set()
		self.proxy.stop()
		for name in set(self.remote_quotations()) - self.before:
			rf.remote("frappe.client.delete", doctype="Quotation", name=name)
		f.make_settings(self.graph.base_url)  # the usual lock timeout and stale age
		super().tearDown()

	def remote_quotations(self) -> list[str]:
		names = rf.remote(
			"frappe.get_all",
			doctype="Quotation",
			filters={"party_name": self.seeded["customer"]},
			pluck="name",
		)
		return names or []  # bench execute prints nothing for an empty list

	def confirm_and_kill(self) -> tuple[str, str]:
		"""Propose the remote Quotation, press Confirm, kill the worker running it once the remote
		has committed; the command and the button message."""
		self.openai.script(
			call(
				"create_sales_document",
				{
					"doctype": "Quotation",
					"customer": self.seeded["customer"],
					"items": [{"item": self.seeded["item"], "qty": 3, "rate": 11}],
					"delivery_date": None,
					"site": "norte",
				},
			)
		)
		[preview] = self.say("cotiza 3 tornillos norte en norte")
		self.assertIn("norte", self.body(preview))
		command = frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})
		self.assertEqual(command.status, "Awaiting Confirmation")

		worker = Worker("short", name="worker-confirm-killed").start()
		try:
			self.post(self.button(self.buttons(preview)[0]))  # its job goes to the worker
			self.assertTrue(self.proxy_handler.inserted.wait(90), "the remote insert never came")
		finally:
			worker.kill()  # after the remote insert committed, before the worker's own commit
			self.proxy_handler.release.set()
		self.assertEqual(len(set(self.remote_quotations()) - self.before), 1)
		[pressed] = f.rows("Incoming", message_type="interactive")
		self.assertEqual((pressed.status, pressed.attempts), ("Processing", 1))
		return command.name, pressed.name

	def button(self, button_id: str) -> dict:
		body = f.text_webhook("", wa_id=self.MX)
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		message["type"] = "interactive"
		message["interactive"] = {
			"type": "button_reply",
			"button_reply": {"id": button_id, "title": "Confirmar"},
		}
		return body

	def assert_once(self, command: str, pressed: str) -> None:
		self.assertEqual(
			len(set(self.remote_quotations()) - self.before), 1, "the confirmed insert ran twice"
		)
		doc = frappe.get_doc("Chatbot Command", command)
		self.assertEqual((doc.status, doc.error, doc.confirmation_token), ("Failed", INTERRUPTED, None))
		self.assertEqual(frappe.db.get_value("Chatbot Message", pressed, "status"), "Answered")
		notice = texts.text("confirmed_interrupted", "es", ref=command)
		told = [s for s in self.graph.sent_messages() if s["type"] == "text" and s["text"]["body"] == notice]
		self.assertEqual(len(told), 1, [self.body(s) for s in self.graph.sent_messages()])
		# later sweeps find nothing more to do or say
		time.sleep(1.1)
		self.assertEqual(sweep()["interrupted_commands"], 0)
		frappe.db.commit()
		self.assertEqual(len(f.rows("Outgoing", text=notice)), 1)

	def test_killed_after_the_remote_insert_then_swept_and_run_again(self):
		command, pressed = self.confirm_and_kill()
		with Worker("short", name="worker-confirm-after"):
			# the dead worker's lock expires within its 4 s; then the sweep takes its message over
			wait_until(swept_again, timeout=60)
			wait_until(lambda: frappe.db.get_value("Chatbot Message", pressed, "status") == "Answered", 60)
			f.settled(self.MX, timeout=60)
		self.assert_once(command, pressed)

	def test_killed_after_the_remote_insert_then_the_same_press_processed_again(self):
		command, pressed = self.confirm_and_kill()
		wait_until(lambda: not locks.is_held(locks.sender(self.MX)), timeout=30)
		process_message(pressed)  # the job again, as a worker would run it (a redelivery, a retry)
		frappe.db.commit()
		f.settled(self.MX, timeout=60)
		self.assert_once(command, pressed)
