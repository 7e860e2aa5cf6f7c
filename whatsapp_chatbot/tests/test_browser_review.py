"""The Desk's review side in real headless Chromium (tests/browser.py): the workspace's cards, a
conversation's transcript updated live by a webhook message, a long command's moving progress bar."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.permissions import CHAT_ROLE, MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user


class TestDeskReview(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_desk_user("chatbot-desk-manager", (MANAGER_ROLE,))
		cls.browser.login(cls.manager)

	def test_realtime_connects(self):
		self.browser.open("/app/chatbot-conversation", ready=".frappe-list")
		self.browser.wait_for_realtime()
		self.assertEqual(self.browser.page.evaluate("() => frappe.session.user"), self.manager)
		self.browser.screenshot("conversation-list")
