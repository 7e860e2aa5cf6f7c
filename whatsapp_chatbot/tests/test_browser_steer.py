"""Steer and Try in real headless Chromium (tests/browser.py): take over a conversation, reply to
Meta's stand-in and hand back; the Playground runs a command and its Confirm button; the Settings
test buttons against the local stand-ins, and with a wrong token or key."""

from __future__ import annotations

import random

import frappe
from frappe.utils import now_datetime
from frappe.utils.password import update_password

from whatsapp_chatbot.channel import contacts
from whatsapp_chatbot.permissions import CHAT_ROLE, MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import PASSWORD, BrowserTestCase
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI
from whatsapp_chatbot.tests.processes import Worker, wait_until

# a fixed manager (Frappe throttles user creation); holds the chat role to try the bot as themself
MANAGER = "chatbot-browser-steer-manager@example.com"


def status(conversation: str) -> str:
	frappe.db.rollback()  # the served site committed it: read past this test's snapshot
	return frappe.db.get_value("Chatbot Conversation", conversation, "status")


def new_number() -> str:
	return "52155" + "".join(random.choice("0123456789") for _ in range(8))


class TestDeskSteer(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		f.make_user(MANAGER, roles=(MANAGER_ROLE, CHAT_ROLE))
		update_password(MANAGER, PASSWORD)
		frappe.db.commit()
		cls.openai = FakeOpenAI().start()
		cls.browser.login(MANAGER)

	@classmethod
	def tearDownClass(cls):
		if hasattr(cls, "openai"):
			cls.openai.stop()
		super().tearDownClass()

	def button(self, label: str):
		return self.browser.page.locator(f'.page-actions button:visible:has-text("{label}")').first

	def test_take_over_reply_and_hand_back(self):
		number = new_number()
		user = f.make_chat_user("chatbot-browser-steer-contact@example.com")
		contact = f.make_contact(
			number, user=user, profile_name="Ana Browser", last_inbound_at=now_datetime()
		)
		conversation = contacts.conversation_for(contact)
		frappe.db.commit()

		page = self.browser.open(f"/app/chatbot-conversation/{conversation.name}")
		self.button("Take Over").click()
		self.browser.wait_for('textarea[data-fieldname="chatbot_reply"]')
		self.assertEqual(status(conversation.name), "Human")
		self.browser.screenshot("steer-taken-over")

		text = f"Hola Ana, soy del equipo {frappe.generate_hash(length=5)}"
		page.fill('textarea[data-fieldname="chatbot_reply"]', text)
		page.click('button[data-fieldname="chatbot_send_reply"]')
		sent = self.graph.wait_for(
			lambda g: [m for m in g.sent_messages() if m.get("text", {}).get("body") == text], timeout=30
		)
		self.assertEqual(sent[0]["to"], number)
		self.browser.wait_for('.alert-message:has-text("Sent"), .desk-alert:has-text("Sent")', timeout=15)
		# the reply shows in the transcript (7a's), as the bot's answers do
		self.browser.wait_for(f'.chatbot-transcript .chatbot-right:has-text("{text}")', timeout=30)
		self.browser.screenshot("steer-reply-sent")

		self.button("Hand Back to the Bot").click()
		self.button("Take Over").wait_for(timeout=30_000)
		self.assertEqual(status(conversation.name), "Open")
		self.browser.screenshot("steer-handed-back")

	def test_reply_outside_the_window_is_held_and_says_so(self):
		number = new_number()
		user = f.make_chat_user("chatbot-browser-steer-contact@example.com")
		contact = f.make_contact(number, user=user, profile_name="Luis Browser")
		conversation = contacts.conversation_for(contact)
		frappe.db.set_value("Chatbot Conversation", conversation.name, "status", "Human")
		frappe.db.commit()
		page = self.browser.open(
			f"/app/chatbot-conversation/{conversation.name}", ready='textarea[data-fieldname="chatbot_reply"]'
		)
		page.fill('textarea[data-fieldname="chatbot_reply"]', "¿Sigues ahí?")
		page.click('button[data-fieldname="chatbot_send_reply"]')
		# nothing lost: held in order for the contact's next message, and the manager is told so
		alert = self.browser.wait_for(':text("Held until the contact writes")', timeout=30)
		self.assertIn("24-hour", alert.inner_text())
		self.browser.wait_for('.chatbot-transcript :text("Held")', timeout=30)
		self.assertEqual(self.graph.sent_messages(), [])
		[reply] = frappe.get_all(
			"Chatbot Message",
			filters={"contact": contact.name, "direction": "Outgoing"},
			fields=["status", "text"],
		)
		self.assertEqual((reply.status, reply.text), ("Held", "¿Sigues ahí?"))
		self.browser.screenshot("steer-reply-window-closed")

	def test_playground_runs_a_command_and_its_confirm_button(self):
		description = f"Llamar a Acme {frappe.generate_hash(length=6)}"
		page = self.browser.open("/app/chatbot-playground", ready=".chatbot-playground")
		self.browser.wait_for_realtime()
		with Worker("short,default", name="worker-browser-playground"):
			page.evaluate(
				"(user) => frappe.pages['chatbot-playground'].playground.picker.user.set_value(user)", MANAGER
			)
			self.browser.wait_until(
				"() => !document.querySelector('input[data-fieldname=\"playground_text\"]').disabled"
			)
			page.fill(
				'input[data-fieldname="playground_text"]', f'/create_todo {{"description": "{description}"}}'
			)
			page.press('input[data-fieldname="playground_text"]', "Enter")
			confirm = self.browser.wait_for(
				".playground-message.from-bot .playground-choice >> nth=0", timeout=90
			)
			self.assertIn(description, page.locator(".playground-message.from-bot").last.inner_text())
			self.browser.screenshot("playground-confirmation")
			confirm.click()
			# the answer to the button: a second bubble from the bot (the preview also says "ToDo")
			self.browser.wait_until(
				"() => document.querySelectorAll('.playground-message.from-bot').length >= 2", timeout=90
			)
			self.assertIn("ToDo", page.locator(".playground-message.from-bot").last.inner_text())
		todo = wait_until(
			lambda: (
				frappe.db.rollback()  # committed by the worker: read past this test's snapshot
				or frappe.db.get_value("ToDo", {"description": ("like", f"%{description}%")}, "allocated_to")
			),
			timeout=30,
		)
		self.assertEqual(todo, MANAGER)
		self.assertEqual(self.graph.requests, [])  # nothing went to Meta
		self.browser.screenshot("playground-confirmed")

	def settings_check(self, action: str, ok: bool) -> str:
		page = self.browser.open("/app/whatsapp-chatbot-settings", ready=".page-actions")
		page.locator('.inner-group-button button:has-text("Set Up")').click()
		page.locator(f'.dropdown-item[data-label="{action.replace(" ", "%20")}"]').click()
		result = self.browser.wait_for(f'.chatbot-settings-check[data-ok="{1 if ok else 0}"]', timeout=30)
		return result.inner_text()

	def test_settings_buttons(self):
		self.graph.add_phone_number(f.PHONE_NUMBER_ID, "+1 555-078-3881", "Ferretería Demo", "GREEN")
		self.openai.api_key = "sk-browser-right"
		f.make_settings(
			self.graph.base_url,
			openai_api_key="sk-browser-right",
			openai_base_url=self.openai.base_url,
			openai_model="gpt-4.1-mini",
		)
		shown = self.settings_check("Test Graph API", ok=True)
		self.assertIn("Ferretería Demo", shown)
		self.assertIn("+1 555-078-3881", shown)
		self.browser.screenshot("settings-graph-ok")
		shown = self.settings_check("Test OpenAI", ok=True)
		self.assertIn("gpt-4.1-mini", shown)
		self.browser.screenshot("settings-openai-ok")

		f.make_settings(
			self.graph.base_url,
			access_token="EAAG-expired",
			openai_api_key="sk-browser-wrong",
			openai_base_url=self.openai.base_url,
		)
		shown = self.settings_check("Test Graph API", ok=False)
		self.assertIn("Invalid OAuth access token", shown)
		self.browser.screenshot("settings-graph-wrong-token")
		shown = self.settings_check("Test OpenAI", ok=False)
		self.assertIn("Incorrect API key provided", shown)
		self.browser.screenshot("settings-openai-wrong-key")

	def test_link_staff_from_the_contact_list(self):
		digits = "".join(random.choice("0123456789") for _ in range(8))
		staff = "chatbot-browser-staff@example.com"
		# no role the manager lacks: a manager links nobody more privileged than themself
		f.make_user(staff, roles=(CHAT_ROLE,))
		frappe.db.set_value("User", staff, "mobile_no", f"+52 55 {digits}")
		frappe.db.commit()
		page = self.browser.open("/app/chatbot-contact", ready=".page-actions")
		self.button("Link Staff").click()
		dialog = self.browser.wait_for('.modal.show:has-text("Link Staff to WhatsApp")')
		row = page.locator(f'.modal.show .grid-row:has-text("5255{digits}")')
		row.first.wait_for(timeout=30_000)
		self.assertIn("contacts will be created", dialog.inner_text())
		self.browser.screenshot("link-staff-preview")
		page.locator('.modal.show .btn-primary:has-text("Create Contacts")').click()
		name = wait_until(
			lambda: frappe.db.rollback() or frappe.db.get_value("Chatbot Contact", {"user": staff}),
			timeout=30,
		)
		self.assertEqual(frappe.db.get_value("Chatbot Contact", name, "wa_id"), f"5255{digits}")
		self.browser.screenshot("link-staff-created")
