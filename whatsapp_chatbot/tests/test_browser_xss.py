"""What a WhatsApp sender writes is shown as text in the Desk, in real headless Chromium
(tests/browser.py): a text, a profile name, a document's file name and caption, a voice note's
transcript and the model's answer, all carrying markup whose event handlers would set
`window.__wcb_xss`, go through the real webhook and processing job; then every Desk view that shows
them is opened. The flag must stay unset in every frame, and the markup must be visible as text
(escaped, not stripped). Screenshots: xss-*.png in the browser tests' output folder."""

from __future__ import annotations

import base64
import hashlib
import random
import time

import frappe

from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, say
from whatsapp_chatbot.tests.media_samples import text_pdf

RUN = frappe.generate_hash(length=6)
FLAG = "window.__wcb_xss=1"
TEXT = f'<img src=x onerror="{FLAG}"> hola {RUN}'
PROFILE = f'<svg onload="{FLAG}"><img src=x onerror="{FLAG}"> Ana'
FILENAME = f'<img src=x onerror="{FLAG}">.pdf'
CAPTION = f'<img src=x onerror="{FLAG}"> factura'
TRANSCRIPT = f'<img src=x onerror="{FLAG}"> dicho en voz alta'
ANSWER = f'<img src=x onerror="{FLAG}"> respuesta del modelo'
HANDOFF = f'/human <img src=x onerror="{FLAG}">'
SEEN = "<img src=x"  # what the Desk must show, as text
SEEN_PROFILE = "<svg onload"
PDF_MEDIA_ID = "7700112233445566"
VOICE_MEDIA_ID = "7700998877665544"


def new_number() -> str:
	return "52177" + "".join(random.choice("0123456789") for _ in range(8))


class TestMarkupIsShownAsText(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.openai = FakeOpenAI().start()
		cls.openai.default = say(ANSWER)  # the model's answer carries markup too
		cls.manager = make_desk_user("chatbot-xss-manager", (MANAGER_ROLE,))
		cls.user = f.make_chat_user(f"chatbot-xss-{frappe.generate_hash(length=8)}@example.com")
		cls.browser.login(cls.manager)

	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()  # removes the contacts that link to the users first
		if hasattr(cls, "openai"):
			cls.openai.stop()
		for user in (getattr(cls, "manager", None), getattr(cls, "user", None)):
			if user:
				frappe.db.delete("__UserSettings", {"user": user})
				frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		self.settings = {
			"openai_api_key": "sk-test-key",
			"openai_base_url": self.openai.base_url,
			"openai_model": "gpt-4.1-mini",
			"openai_timeout": 5,
		}
		super().setUp()
		self.openai.reset()
		self.openai.state.transcript = TRANSCRIPT
		self.number = new_number()
		self.contact = f.make_contact(self.number, user=self.user, profile_name=f"Ana {RUN}")
		self.pdf = text_pdf([[f'<img src=x onerror="{FLAG}"> total 100']])
		self.graph.add_media(PDF_MEDIA_ID, self.pdf, "application/pdf")
		self.graph.add_media(VOICE_MEDIA_ID, b"OggS\x00\x02fake-opus-audio", "audio/ogg; codecs=opus")
		# through the real webhook (signed, parsed, stored by channel/inbox) and processing job
		self.text = self._send(f.text_webhook(TEXT, wa_id=self.number, name=PROFILE))
		self.document = self._send(self._document_webhook())
		self.voice = self._send(self._voice_webhook())
		self.handoff = self._send(f.text_webhook(HANDOFF, wa_id=self.number, name=PROFILE))
		self.last = self._send(f.text_webhook(TEXT, wa_id=self.number, name=PROFILE))  # the bot answers
		self.conversation = frappe.db.get_value("Chatbot Message", self.text, "conversation")
		self.assertTrue(self.conversation)
		self.problems: list[str] = []  # every view is looked at, then the test fails naming each

	def tearDown(self):
		super().tearDown()
		frappe.db.delete(
			"Notification Log",
			{"document_type": "Chatbot Conversation", "document_name": self.conversation},
		)
		for name in frappe.get_all(
			"File",
			filters={"attached_to_doctype": "Chatbot Message", "attached_to_name": ("in", self._messages())},
			pluck="name",
		):
			frappe.delete_doc("File", name, force=True, ignore_permissions=True)
		frappe.db.commit()

	# -- the views ------------------------------------------------------------------------------

	def test_lists_and_report_view(self):
		page = self.browser.open(
			f"/app/chatbot-conversation?contact={self.contact.name}", ready=".frappe-list .list-row"
		)
		self.assert_shown_as_text(page, "conversation-list", SEEN)

		# the message list's sidebar grouped by profile name (a Data field the manager may pick)
		self.browser.call(
			"frappe.model.utils.user_settings.save",
			doctype="Chatbot Message",
			user_settings=frappe.as_json({"group_by_fields": ["profile_name"]}),
		)
		page = self.browser.open(
			f"/app/chatbot-message?conversation={self.conversation}", ready=".frappe-list .list-row"
		)
		page.locator('.group-by-field a[data-fieldname="profile_name"]').click()
		self.browser.wait_for(".group-by-dropdown .group-by-item")
		self.assert_shown_as_text(page, "message-list-group-by", SEEN_PROFILE)

		self.browser.call(
			"frappe.model.utils.user_settings.save",
			doctype="Chatbot Message",
			user_settings=frappe.as_json(
				{
					"Report": {
						"fields": [
							[field, "Chatbot Message"]
							for field in ("name", "text", "profile_name", "media_filename", "transcript")
						]
					}
				}
			),
		)
		page = self.browser.open(
			f"/app/chatbot-message/view/report?conversation={self.conversation}",
			ready=".dt-scrollable .dt-row",
		)
		self.assert_shown_as_text(page, "message-report-view", SEEN, SEEN_PROFILE, "dicho en voz alta")

		page = self.browser.open(f"/app/chatbot-contact?wa_id={self.number}", ready=".frappe-list .list-row")
		self.assert_shown_as_text(page, "contact-list", SEEN_PROFILE)
		self.assertEqual(self.problems, [])

	def test_forms_and_transcript(self):
		page = self.browser.open(
			f"/app/chatbot-message/{self.text}", ready=".frappe-control[data-fieldname='text']"
		)
		self.assert_shown_as_text(page, "message-form", SEEN, SEEN_PROFILE)

		page = self.browser.open(
			f"/app/chatbot-message/{self.document}", ready=".frappe-control[data-fieldname='media_filename']"
		)
		self.assert_shown_as_text(page, "message-form-document", FILENAME, "factura")

		page = self.browser.open(
			f"/app/chatbot-message/{self.voice}", ready=".frappe-control[data-fieldname='transcript']"
		)
		self.assert_shown_as_text(page, "message-form-voice", "dicho en voz alta", SEEN)

		page = self.browser.open(
			f"/app/chatbot-conversation/{self.conversation}", ready=".chatbot-transcript .chatbot-row"
		)
		self.assert_shown_as_text(
			page, "conversation-transcript", SEEN, FILENAME, "dicho en voz alta", "respuesta del modelo"
		)

		# a running command: its preview (the model's words) and a remote site's progress note
		command = frappe.get_doc(
			{
				"doctype": "Chatbot Command",
				"command": "export_list",
				"kind": "Long",
				"status": "Running",
				"progress": 40,
				"progress_note": f'<img src=x onerror="{FLAG}"> paso 2',
				"preview": TEXT,
				"arguments": "{}",
				"run_as": self.user,
				"contact": self.contact.name,
				"conversation": self.conversation,
				"message": self.text,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		page = self.browser.open(f"/app/chatbot-command/{command.name}", ready=".form-dashboard .progress")
		self.assert_shown_as_text(page, "command-form", f'<img src=x onerror="{FLAG}"> paso 2', TEXT)

		page = self.browser.open(f"/app/chatbot-contact/{self.contact.name}", ready=".page-title")
		self.assert_shown_as_text(page, "contact-form", SEEN_PROFILE)
		if SEEN_PROFILE not in page.locator(".page-title .title-text").inner_text():
			self.problems.append("contact-form: the title is not the profile name as written")

		page = self.browser.open(f"/app/print/Chatbot Message/{self.text}")
		self.browser.wait_until(
			"() => [...document.querySelectorAll('iframe')].some(f => f.contentDocument && "
			"f.contentDocument.querySelector('.print-format'))"
		)
		self.assert_shown_as_text(page, "message-print", SEEN, SEEN_PROFILE)
		self.assertEqual(self.problems, [])

	def test_link_field_dropdown(self):
		"""A Link to Chatbot Contact lists contacts by their title, the sender's profile name."""
		control = ".frappe-control[data-fieldname='playground_contact']"
		page = self.browser.open("/app/chatbot-playground", ready=f"{control} input")
		page.locator(f"{control} input").fill(self.number)
		self.browser.wait_until(
			"([c, n]) => [...document.querySelectorAll(c + \" [role='option']\")]"
			".some(o => o.textContent.includes(n))",
			[control, self.number],
		)
		self.assert_shown_as_text(page, "contact-link-dropdown", SEEN_PROFILE)
		self.assertEqual(self.problems, [])

	def test_handoff_notification(self):
		log = frappe.db.get_value(
			"Notification Log",
			{
				"for_user": self.manager,
				"document_type": "Chatbot Conversation",
				"document_name": self.conversation,
			},
		)
		self.assertTrue(log, "the managers were not notified of the handoff")
		page = self.browser.open("/app/chatbot-conversation", ready=".frappe-list")
		page.locator(".dropdown-notifications .notifications-icon").first.click()
		self.browser.wait_for(".notifications-list .notification-item")
		self.assert_shown_as_text(page, "notification-dropdown", SEEN_PROFILE)

		page = self.browser.open(
			f"/app/notification-log?document_name={self.conversation}", ready=".frappe-list .list-row"
		)
		self.assert_shown_as_text(page, "notification-log-list", SEEN_PROFILE)

		page = self.browser.open(
			f"/app/notification-log/{log}", ready=".frappe-control[data-fieldname='subject']"
		)
		self.assert_shown_as_text(page, "notification-log-form", SEEN_PROFILE, SEEN)
		self.assertEqual(self.problems, [])

	# -- helpers --------------------------------------------------------------------------------

	def assert_shown_as_text(self, page, name: str, *literals: str) -> None:
		"""No frame ran the payload, and each literal is on the page as text."""
		page.wait_for_timeout(1500)  # an <img onerror> fires once its request has failed
		ran = [frame.url for frame in page.frames if frame.evaluate("() => window.__wcb_xss !== undefined")]
		shown = "\n".join(
			frame.evaluate("() => document.body ? document.body.innerText : ''") for frame in page.frames
		)
		self.browser.screenshot(f"xss-{name}", settle=0)
		if ran:
			self.problems.append(f"{name}: the sender's markup ran in {ran}")
		self.problems.extend(f"{name}: {v!r} is not shown as text" for v in literals if v not in shown)

	def _send(self, body: dict) -> str:
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
		self.post(body)
		f.run_jobs(queues=("short",))
		f.settled(self.number)
		return frappe.db.get_value("Chatbot Message", {"wamid": message})

	def _messages(self) -> list[str]:
		return frappe.get_all(
			"Chatbot Message", filters={"conversation": self.conversation}, pluck="name"
		) or [""]

	def _document_webhook(self) -> dict:
		body = f.text_webhook("", wa_id=self.number, name=PROFILE)
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		message["type"] = "document"
		message["document"] = {
			"caption": CAPTION,
			"filename": FILENAME,
			"mime_type": "application/pdf",
			"sha256": base64.b64encode(hashlib.sha256(self.pdf).digest()).decode(),
			"id": PDF_MEDIA_ID,
		}
		return body

	def _voice_webhook(self) -> dict:
		body = f.text_webhook("", wa_id=self.number, name=PROFILE)
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		message["type"] = "audio"
		message["timestamp"] = str(int(time.time()))
		message["audio"] = {"mime_type": "audio/ogg; codecs=opus", "id": VOICE_MEDIA_ID, "voice": True}
		return body
