"""A long command's writes are its own transaction's: progress reaches the Desk and the phone while
it runs, yet what the command wrote is undone when it is cancelled (from the chat or the Desk) or
fails. Real gunicorn, real RQ workers on `short` and `long`, an admin-defined command (a whitelisted
method) that inserts a ToDo between progress reports (tests/progress_task.py)."""

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.executors import started
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call
from whatsapp_chatbot.tests.processes import WebServer, Worker, wait_until
from whatsapp_chatbot.tests.progress_task import define_todo_command

FINAL = ("Succeeded", "Failed", "Cancelled")


class TestProgressIsolation(f.InterpreterTestCase):
	settings = {"progress_interval_seconds": 1}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.command = define_todo_command(cls.addClassCleanup)
		cls.web = WebServer(workers=2).start()
		cls.addClassCleanup(cls.web.stop)

	def setUp(self):
		super().setUp()
		self.marker = f"progress-isolation-{frappe.generate_hash(length=10)}"

	def tearDown(self):
		frappe.db.rollback()
		frappe.db.delete("ToDo", {"description": ("like", f"{self.marker}%")})
		frappe.db.commit()
		super().tearDown()

	def deliver(self, text: str):
		raw, headers = f.signed(f.text_webhook(text, wa_id=self.MX))
		self.assertEqual(self.web.post_webhook(raw, headers).status_code, 200)

	def todos(self) -> int:
		"""The command's ToDos as another connection sees them (committed only)."""
		frappe.db.rollback()
		return frappe.db.count("ToDo", {"description": ("like", f"{self.marker}%")})

	def running(self, **filters):
		"""Wait for the contact's command to be Running with these values (read from this process's
		own connection: what the Desk sees)."""
		contact = self.sales_contact.name

		def running():
			ended = frappe.db.get_value(
				"Chatbot Command", {"contact": contact, "status": ("in", FINAL)}, ["name", "status", "error"]
			)
			self.assertIsNone(ended, "the command ended before the test could look at it running")
			return frappe.db.get_value(
				"Chatbot Command", {"contact": contact, "status": "Running", **filters}
			)

		# RQ's long queue is bench-wide: other sites' jobs may be ahead of this one
		return wait_until(running, timeout=180)

	def test_cancel_from_the_chat_undoes_the_commands_writes(self):
		self.openai.script(call(self.command, {"marker": self.marker, "steps": 60, "seconds": 0.5}))
		with (
			Worker("short,default", name="worker-isolation-short"),
			Worker("long", name="worker-isolation-long"),
		):
			self.deliver("haz los pendientes")
			# the Desk sees progress, and the phone got its 25 % message, while the command runs
			command = self.running(progress_sent_percent=(">=", 25))
			self.assertGreater(frappe.db.get_value("Chatbot Command", command, "progress"), 0)
			while_running = self.todos()  # written, not committed: the command has not ended
			self.deliver("cancelar")
			self.graph.wait_for(
				lambda g: any(
					texts.text("long_cancelled", "es", ref=command) == (m.get("text") or {}).get("body")
					for m in g.sent_messages()
				),
				timeout=60,
			)
		frappe.db.rollback()
		doc = frappe.get_doc("Chatbot Command", command)
		self.assertEqual((doc.status, doc.cancel_requested), ("Cancelled", 1))
		self.assertGreaterEqual(doc.progress, 25)  # the progress it made stays on the record
		self.assertEqual((self.todos(), while_running), (0, 0))  # (after the cancel, while running)
		bodies = [m["text"]["body"] for m in self.graph.sent_messages() if m["type"] == "text"]
		self.assertTrue(any(command in b and "% listo" in b for b in bodies), bodies)

	def test_failure_after_progress_undoes_the_commands_writes(self):
		self.openai.script(
			call(self.command, {"marker": self.marker, "steps": 8, "seconds": 0.3, "fail_at": 6})
		)
		with (
			Worker("short,default", name="worker-isolation-short"),
			Worker("long", name="worker-isolation-long"),
		):
			self.deliver("haz los pendientes")
			command = self.running(progress=(">", 0))
			failed = wait_until(
				lambda: frappe.db.get_value(
					"Chatbot Command",
					{"name": command, "status": "Failed"},
					["progress", "error"],
					as_dict=True,
				),
				timeout=60,
			)
			f.settled(self.MX, timeout=60)
		self.assertEqual(failed.progress, 75)  # reported before it failed, and kept
		self.assertIn("refused on purpose", failed.error)
		self.assertEqual(self.todos(), 0)

	def test_desk_cancel_of_a_command_another_site_started_undoes_its_writes(self):
		from whatsapp_chatbot.api.desk import cancel_command

		name = started.start(
			self.sales, self.command, {"marker": self.marker, "steps": 60, "seconds": 0.5}, confirmed=False
		)
		frappe.db.commit()
		with Worker("long", name="worker-isolation-started"):
			wait_until(
				lambda: frappe.db.get_value(
					"Chatbot Command", {"name": name, "status": "Running", "progress": (">", 0)}
				),
				timeout=180,
			)
			while_running = self.todos()
			self.assertEqual(cancel_command(name), "Running")  # asked to stop at its next check
			frappe.db.commit()
			wait_until(
				lambda: frappe.db.get_value("Chatbot Command", {"name": name, "status": "Cancelled"}),
				timeout=60,
			)
		self.assertGreater(frappe.db.get_value("Chatbot Command", name, "progress"), 0)
		self.assertEqual((self.todos(), while_running), (0, 0))  # (after the cancel, while running)
