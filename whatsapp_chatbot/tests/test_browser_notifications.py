"""WhatsApp Notifications in the Desk (headless Chromium, tests/browser.py): the Sales Order's
timeline shows the message its notification sent, and the Notification form shows the WhatsApp
fields, fills a template's parameter rows when one is picked, and says what was sent."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.notifications import fields
from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.notification_fixture import ROLE, NotificationTestCase


class TestNotificationsInTheDesk(BrowserTestCase, NotificationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_desk_user("wcb-notify-desk", ("System Manager", MANAGER_ROLE, ROLE))
		cls.browser.login(cls.manager)

	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()

	def test_timeline_and_form(self):
		self.contact("reader", hours_since_they_wrote=1)
		name = self.notification()
		order = self.submit_order()
		f.run_jobs()
		[message] = self.messages_about(order)
		self.assertEqual(message.status, "Sent")

		page = self.browser.open(f"/app/sales-order/{order}", ready=".timeline-items")
		link = f'a[href="/app/chatbot-message/{message.name}"]'
		self.browser.wait_for(f".timeline-items {link}")
		item = page.inner_text(f".timeline-item:has({link})")
		self.assertIn(f"sent the notification {name} as 1 WhatsApp message(s)", item)
		page.locator(link).scroll_into_view_if_needed()
		self.browser.screenshot("notification-sales-order-timeline")

		template = self.template("es")
		page = self.browser.open(f"/app/notification/{name}", ready=f'[data-fieldname="{fields.TEMPLATE}"]')
		options = page.evaluate("() => cur_frm.fields_dict.channel.df.options.split('\\n')")
		self.assertIn("WhatsApp", options)
		self.assertIn(
			f"{self.users['nocontact']} (no WhatsApp contact)",
			page.inner_text(f'[data-fieldname="{fields.LAST_RESULT}"]'),
		)
		# picking a template adds a row per parameter it needs ({{details}} fills itself)
		page.evaluate("(t) => cur_frm.set_value('whatsapp_template', t)", template)
		self.browser.wait_until(
			"() => (cur_frm.doc.whatsapp_parameters || []).length === 3 && cur_frm.doc.whatsapp_attach_document"
		)
		rows = page.evaluate("() => cur_frm.doc.whatsapp_parameters.map(r => r.parameter)")
		self.assertEqual(rows, ["order", "customer", "total"])
		self.browser.wait_until(
			"() => document.querySelector('[data-fieldname=\"whatsapp_template\"] .help-box').innerText.includes('Body: 4 named')"
		)
		self.browser.wait_for(
			'.frappe-control[data-fieldname="print_format"]'
		)  # the PDF's print format shows
		page.locator(f'[data-fieldname="{fields.SECTION}"]').first.scroll_into_view_if_needed()
		self.browser.screenshot("notification-form-whatsapp")
		self.assertFalse([line for line in self.browser.console if "pageerror" in line], self.browser.console)
