"""The Settings form's Turn Queue section in real headless Chromium (tests/browser.py): the queue's
figures as the Desk shows them, in red while no worker serves the queue, and the worker counted
once one starts."""

from __future__ import annotations

import frappe
from rq import Worker as RQWorker

from whatsapp_chatbot.channel import backlog
from whatsapp_chatbot.jobs.queues import turn_queue
from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.processes import Worker, wait_until

RUN = frappe.generate_hash(length=6)
SETTINGS = "/app/whatsapp-chatbot-settings"
SECTION = ".chatbot-turn-queue"


class TestTurnQueueSection(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_desk_user("chatbot-queue-manager", (MANAGER_ROLE,))
		cls.browser.login(cls.manager)

	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()
		if getattr(cls, "manager", None):
			frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
			frappe.db.commit()

	def setUp(self):
		super().setUp()
		self.jobs = []
		self.addCleanup(lambda: [job.delete() for job in self.jobs])

	def figures(self) -> dict:
		return self.browser.page.eval_on_selector(
			SECTION,
			"""el => ({workers: +el.dataset.workers, depth: +el.dataset.depth,
				name: el.querySelector('.turn-queue-name').textContent.trim(),
				alert: (el.querySelector('.turn-queue-alert.text-danger') || {}).textContent || ''})""",
		)

	def test_depth_workers_and_the_red_warning(self):
		registered = len(RQWorker.all(queue=backlog.queue()))  # rq's own reading (a worker killed
		# minutes ago by another test may still be registered: then the red warning cannot show)
		for i in range(2):
			self.jobs.append(
				frappe.enqueue("frappe.ping", queue=turn_queue(), job_id=f"whatsapp_chatbot:desk:{RUN}:{i}")
			)
		depth = backlog.queue().count
		self.browser.open(SETTINGS, ready=SECTION)
		shown = self.figures()
		self.assertEqual(shown["name"], turn_queue())
		self.assertEqual(shown["workers"], registered)
		self.assertEqual(shown["depth"], depth)  # nothing serves the queue: it still holds ours
		if not registered:
			self.assertIn(turn_queue(), shown["alert"])
			self.browser.wait_for(
				'.form-dashboard .indicator.red:has-text("No worker serves the turn queue")'
			)
		self.browser.screenshot("settings-turn-queue-no-worker")

		with Worker(turn_queue(), name="worker-desk-queue"):
			wait_until(lambda: len(RQWorker.all(queue=backlog.queue())) == registered + 1, timeout=30)
			wait_until(lambda: backlog.queue().count < depth, timeout=30)  # it took our jobs
			self.browser.page.reload()
			self.browser.wait_for(SECTION)
			shown = self.figures()
			self.assertEqual(shown["workers"], registered + 1)
			self.assertEqual(shown["alert"], "")
			self.browser.screenshot("settings-turn-queue-one-worker")
