"""The stand-in channel: the Playground and the terminal chat as a User, through the same pipeline
as WhatsApp, with nothing sent to Meta."""

import json
import threading
import time

import frappe

from whatsapp_chatbot.api import playground
from whatsapp_chatbot.channel.terminal import TerminalChat
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.processes import bench_command


class RealtimeEvents:
	"""What Frappe publishes on Redis for Socket.IO to relay (the events the Playground receives)."""

	def __init__(self, event: str):
		from frappe.utils.background_jobs import get_redis_connection_without_auth

		self.event, self.received = event, []
		self.pubsub = get_redis_connection_without_auth().pubsub()
		self.pubsub.subscribe("events")
		self._stop = threading.Event()
		self._thread = threading.Thread(target=self._listen, daemon=True)
		self._thread.start()

	def _listen(self):
		while not self._stop.is_set():
			message = self.pubsub.get_message(timeout=0.2)
			if message and message["type"] == "message":
				data = json.loads(message["data"])
				if data.get("event") == self.event:
					self.received.append(data)

	def stop(self):
		self._stop.set()
		self._thread.join(2)
		self.pubsub.close()


def answered(message: str, timeout: float = 30.0) -> None:
	"""Wait until `message` is processed and its answers sent: RQ queues are bench-wide, so a worker
	started for another site may run this site's job before run_jobs does."""
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		frappe.db.rollback()  # see what the other process committed
		done = frappe.db.get_value("Chatbot Message", message, "status") not in ("Received", "Processing")
		unsent = frappe.db.count(
			"Chatbot Message", {"in_reply_to_message": message, "status": ("in", ("Queued", "Sending"))}
		)
		if done and not unsent:
			return
		time.sleep(0.2)
	raise AssertionError(f"{message} still unanswered after {timeout} s")


class TestPlayground(f.ChatbotTestCase):
	# fixed users whose roles make_user resets: Frappe throttles user creation (60 an hour)
	suffix = "7b"

	def setUp(self):
		super().setUp()
		self.user = f.make_chat_user(f"chatbot-playground-{self.suffix}@example.com")
		self.manager = f.make_manager(f"chatbot-playground-manager-{self.suffix}@example.com")

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_a_command_and_its_confirm_button(self):
		events = RealtimeEvents("whatsapp_chatbot_standin")
		try:
			started = playground.start(user=self.user)  # as Administrator, a System Manager
			self.assertIsNone(started["refusal"])
			self.assertEqual(frappe.db.get_value("Chatbot Contact", started["contact"], "user"), self.user)
			self.assertEqual(playground.start(user=self.user)["contact"], started["contact"])  # made once

			description = f"Llamar a Acme {frappe.generate_hash(length=6)}"
			sent = playground.send(started["contact"], f'/create_todo {{"description": "{description}"}}')
			frappe.db.commit()
			f.run_jobs(queues=("short",))
			answered(sent["message"])
			[preview] = playground.history(started["contact"])[-1:]
			self.assertIn(
				[title for _, title in preview["choices"]], (["Confirm", "Cancel"], ["Confirmar", "Cancelar"])
			)
			self.assertIn(description, preview["text"])
			confirm_id = preview["choices"][0][0]

			pressed = playground.send(started["contact"], "Confirm", choice_id=confirm_id)
			frappe.db.commit()
			f.run_jobs(queues=("short",))
			answered(pressed["message"])
			todo = frappe.db.exists(
				"ToDo", {"description": ("like", f"%{description}%"), "allocated_to": self.user}
			)
			self.assertTrue(todo, playground.history(started["contact"]))
			done = playground.history(started["contact"])[-1]
			self.assertIn(todo, done["text"])  # the created ToDo, in whichever language the contact reads

			incoming = frappe.get_doc("Chatbot Message", sent["message"])
			self.assertEqual(
				(incoming.channel, incoming.status, incoming.user), ("Terminal", "Answered", self.user)
			)
			self.assertEqual(self.graph.requests, [])  # nothing went to Meta
			deadline = frappe.utils.now_datetime()
			while len(events.received) < 2 and (frappe.utils.now_datetime() - deadline).total_seconds() < 5:
				threading.Event().wait(0.1)
			shown = [e["message"] for e in events.received]
			self.assertTrue(
				all(e["room"] == f"doc:Chatbot Contact/{started['contact']}" for e in events.received)
			)
			self.assertEqual([m["message"] for m in shown], [preview["message"], done["message"]])
		finally:
			events.stop()

	def test_a_file_answer_is_a_download(self):
		from whatsapp_chatbot.channel import outbox, standin

		started = playground.start(user=self.user)
		contact = frappe.get_doc("Chatbot Contact", started["contact"])
		question = standin.store(contact, "mándame el reporte")
		frappe.flags.whatsapp_chatbot_send_inline = True
		try:
			outbox.queue_document(
				contact,
				"ventas.xlsx",
				b"PK\x03\x04 fake xlsx",
				"application/vnd.ms-excel",
				"Ventas",
				answers=question,
			)
		finally:
			frappe.flags.whatsapp_chatbot_send_inline = False
		frappe.db.commit()
		outbox.drain(contact.name)
		[shown] = standin.answers_to(question)
		self.assertEqual(
			(shown["kind"], shown["filename"], shown["text"]), ("document", "ventas.xlsx", "Ventas")
		)
		self.assertTrue(shown["file_url"].startswith("/private/files/"))
		self.assertEqual(self.graph.requests, [])  # not uploaded to Meta

	def test_pick_an_existing_contact(self):
		contact = f.make_contact("5215500002222", user=self.user)
		sent = playground.send(contact.name, "/whoami")
		frappe.db.commit()
		f.run_jobs(queues=("short",))
		answered(sent["message"])
		started = playground.start(contact=contact.name)
		self.assertEqual((started["contact"], started["user"]), (contact.name, self.user))
		self.assertEqual([m.get("incoming") for m in started["history"]], [1, None])
		self.assertIn(self.user, started["history"][-1]["text"])
		self.assertEqual(self.graph.requests, [])  # a WhatsApp contact tried here still never reaches Meta

	def test_a_manager_may_only_try_as_themself(self):
		f.make_user(self.manager, roles=("WhatsApp Chatbot Manager", "WhatsApp Chatbot User"))
		frappe.set_user(self.manager)
		with self.assertRaises(frappe.PermissionError):
			playground.start(user=self.user)
		self.assertIsNone(playground.start(user=self.manager)["refusal"])

	def test_only_managers(self):
		frappe.set_user(self.user)
		with self.assertRaises(frappe.PermissionError):
			playground.start(user=self.user)
		contact = f.make_contact("5215500001111", user=self.user)
		with self.assertRaises(frappe.PermissionError):
			playground.send(contact.name, "hola")

	def test_user_without_the_role_is_told_why(self):
		frappe.db.delete("Has Role", {"parent": self.user, "role": "WhatsApp Chatbot User"})
		frappe.db.commit()
		frappe.clear_cache(user=self.user)
		self.assertIn("WhatsApp Chatbot User", playground.start(user=self.user)["refusal"])


class TestTerminalAsUser(f.ChatbotTestCase):
	suffix = "7b"

	def setUp(self):
		super().setUp()
		self.user = f.make_chat_user(f"chatbot-terminal-{self.suffix}@example.com")

	def test_chat_as_a_user_at_once(self):
		chat = TerminalChat(user=self.user)
		self.assertIn(self.user, chat.greeting())
		[answer] = chat.send("/whoami")
		self.assertIn(self.user, answer)
		self.assertEqual(frappe.db.count("Chatbot Contact", {"user": self.user}), 1)
		self.assertEqual(self.graph.requests, [])

	def test_unknown_user(self):
		with self.assertRaises(ValueError):
			TerminalChat(user="nobody-here@example.com")

	def test_the_bench_command_with_user(self):
		result = bench_command(
			frappe.local.site, "whatsapp-chatbot", "chat", "--user", self.user, input="/whoami\n/quit\n"
		)
		self.assertEqual(result.returncode, 0, result.stderr[-2000:])
		self.assertIn(f"→ {self.user}", result.stdout)
		self.assertIn(f"({self.user})", result.stdout)  # /whoami's answer
