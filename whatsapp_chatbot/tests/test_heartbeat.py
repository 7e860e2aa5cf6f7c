"""The sweep fails a Running long command only when its job's heartbeat is gone.

The heartbeat is a Redis key the job's process renews (realtime/progress.heartbeat); the sweep asks
Redis whether it exists. Both must name the same key: the sweep once asked for the key with the
site prefix added twice, found nothing, and failed every long command still running after 30 s.
"""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.jobs.sweep import fail_dead_long_commands
from whatsapp_chatbot.realtime import progress


class TestHeartbeat(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		# a long command started a while ago by another site (no contact: nobody to tell)
		self.command = frappe.get_doc(
			{
				"doctype": "Chatbot Command",
				"command": f"heartbeat-test-{frappe.generate_hash(length=8)}",
				"kind": "Long",
				"status": "Running",
				"started_at": add_to_date(now_datetime(), minutes=-5),
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(self.delete)

	def delete(self):
		frappe.db.delete("Chatbot Command", {"name": self.command.name})
		frappe.db.commit()

	def status(self) -> str:
		return frappe.db.get_value("Chatbot Command", self.command.name, "status")

	def test_a_live_job_is_alive_and_left_running(self):
		with progress.heartbeat(self.command.name):
			self.assertTrue(progress.is_alive(self.command.name))
			fail_dead_long_commands(get_settings())
			self.assertEqual(self.status(), "Running")

	def test_a_job_without_heartbeat_is_failed(self):
		self.assertFalse(progress.is_alive(self.command.name))
		fail_dead_long_commands(get_settings())
		self.assertEqual(self.status(), "Failed")
