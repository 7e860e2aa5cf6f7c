"""WhatsApp's formatting in the Desk, in real headless Chromium (tests/browser.py): the rules of
public/js/whatsapp_format.js run in the page, the Playground (its empty state, its Send button beside
the input, a contact's and the bot's formatted bubbles) and a conversation's transcript show
*bold*, _italic_, ~strike~ and code as elements, and markup inside the markers stays text."""

from __future__ import annotations

import json
import random

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot.channel import contacts, outgoing
from whatsapp_chatbot.permissions import CHAT_ROLE, MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, say
from whatsapp_chatbot.tests.processes import Worker

# (text, its HTML as the browser reads it back: entities the DOM does not need are plain characters)
RULES = [
	("*negrita*", "<b>negrita</b>"),
	("_cursiva_", "<i>cursiva</i>"),
	("~tachado~", "<s>tachado</s>"),
	("`TORN-M8`", "<code>TORN-M8</code>"),
	("```SELECT *\nFROM x```", "<code>SELECT *<br>FROM x</code>"),
	("```*no* _se_ ~formatea~```", "<code>*no* _se_ ~formatea~</code>"),
	("`*tampoco*`", "<code>*tampoco*</code>"),
	("*_ambas_*", "<b><i>ambas</i></b>"),
	("¡*hola*!", "¡<b>hola</b>!"),
	("(_nota_)", "(<i>nota</i>)"),
	("2*3*4", "2*3*4"),
	("a*b* y *c*d", "a*b* y *c*d"),
	("é*x*", "é*x*"),
	("pasos_lentos y snake_case_name", "pasos_lentos y snake_case_name"),
	("* suelto* y *suelto *", "* suelto* y *suelto *"),
	("**", "**"),
	("__init__ y **doble**", "__init__ y **doble**"),
	("_window.__x_", "<i>window.__x</i>"),
	("*dos\nlíneas*", "*dos<br>líneas*"),
	("uno\ndos", "uno<br>dos"),
	("*<img src=x onerror=alert(1)>*", "<b>&lt;img src=x onerror=alert(1)&gt;</b>"),
	("`</code><script>alert(1)</script>`", "<code>&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code>"),
	('_<b>no</b>_ & ~"q"~', '<i>&lt;b&gt;no&lt;/b&gt;</i> &amp; <s>"q"</s>'),
]
# the bot's answer and the contact's message in the Playground: formatting, and markup that must stay text
BOT_TEXT = (
	"*Stock de TORN-M8*: _120 piezas_ en ~Almacén Norte~ Almacén Central.\n"
	"Código `TORN-M8`, consulta ```SELECT qty``` y 2*3*4 sin formato.\n"
	"*<img src=x onerror=window.__xss_bot=1>*"
)
CONTACT_TEXT = "Hola *bot*, _dime_ el ~precio~ de `TORN-M8` _<img src=x onerror=window.__xss_me=1>_"
ELEMENTS = """(selector) => {
	const root = document.querySelector(selector);
	const texts = (tag) => [...root.querySelectorAll(tag)].map((e) => e.textContent);
	return {b: texts("b"), i: texts("i"), s: texts("s"), code: texts("code"),
		img: root.querySelectorAll("img, script").length, text: root.textContent};
}"""


def new_number() -> str:
	return "52155" + "".join(random.choice("0123456789") for _ in range(8))


class TestWhatsAppFormatting(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# per class: Frappe throttles creating more than 60 users an hour
		cls.manager = make_desk_user("chatbot-format-manager", (MANAGER_ROLE, CHAT_ROLE))
		cls.openai = FakeOpenAI().start()
		cls.browser.login(cls.manager)

	@classmethod
	def tearDownClass(cls):
		if hasattr(cls, "openai"):
			cls.openai.stop()
		super().tearDownClass()  # removes the contacts that link to the manager first
		if getattr(cls, "manager", None):
			frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
			frappe.db.commit()

	def setUp(self):
		super().setUp()
		self.openai.reset()
		f.make_settings(
			self.graph.base_url,
			openai_api_key="sk-test-key",
			openai_base_url=self.openai.base_url,
			openai_model="gpt-4.1-mini",
			openai_timeout=10,
		)

	def test_the_rules_as_the_page_applies_them(self):
		page = self.browser.open("/app/chatbot-playground", ready=".chatbot-playground")
		shown = page.evaluate(
			"""(texts) => texts.map((text) => {
				const box = document.createElement("div");
				box.innerHTML = whatsapp_chatbot.whatsapp_format.to_html(text);
				return box.innerHTML;
			})""",
			[text for text, _html in RULES],
		)
		for (text, expected), html in zip(RULES, shown, strict=True):
			with self.subTest(text=text):
				self.assertEqual(html, expected)

	def test_playground_says_what_to_do_then_shows_formatted_bubbles(self):
		page = self.browser.open("/app/chatbot-playground", ready=".chatbot-playground .playground-empty")
		empty = page.locator(".playground-empty").inner_text()
		self.assertIn("Pick who to chat as", empty)
		self.assertIn("Contact or a User", empty)
		field = page.locator('input[data-fieldname="playground_text"]')
		send = page.locator(".playground-send")
		self.assertTrue(field.is_disabled() and send.is_disabled())
		self.assertEqual(field.get_attribute("placeholder"), "Pick a contact or a user above first")
		# the Send button sits right beside the input, on its line
		box, button = field.bounding_box(), send.bounding_box()
		self.assertLess(abs(button["x"] - (box["x"] + box["width"])), 24, (box, button))
		self.assertLess(
			abs((button["y"] + button["height"] / 2) - (box["y"] + box["height"] / 2)), 6, (box, button)
		)
		self.browser.screenshot("playground-empty")

		self.browser.wait_for_realtime()
		self.openai.script(say(BOT_TEXT))
		with Worker("short,default", name="worker-browser-format"):
			page.evaluate(
				"(user) => frappe.pages['chatbot-playground'].playground.picker.user.set_value(user)",
				self.manager,
			)
			self.browser.wait_until("() => !document.querySelector('.playground-send').disabled")
			self.assertIn("No messages yet", page.locator(".playground-empty").inner_text())
			self.browser.screenshot("playground-picked-empty")
			field.fill(CONTACT_TEXT)
			send.click()
			self.browser.wait_for(".playground-message.from-bot", timeout=90)
		self.assertEqual(page.locator(".playground-empty").count(), 0)
		mine = page.evaluate(ELEMENTS, ".playground-message.from-contact .playground-text")
		self.assertEqual(
			{k: mine[k] for k in ("b", "i", "s", "code", "img")},
			{
				"b": ["bot"],
				"i": ["dime", "<img src=x onerror=window.__xss_me=1>"],
				"s": ["precio"],
				"code": ["TORN-M8"],
				"img": 0,
			},
		)
		bot = page.evaluate(ELEMENTS, ".playground-message.from-bot .playground-text")
		self.assertEqual(
			{k: bot[k] for k in ("b", "i", "s", "code", "img")},
			{
				"b": ["Stock de TORN-M8", "<img src=x onerror=window.__xss_bot=1>"],
				"i": ["120 piezas"],
				"s": ["Almacén Norte"],
				"code": ["TORN-M8", "SELECT qty"],
				"img": 0,
			},
		)
		self.assertIn("2*3*4 sin formato", bot["text"])
		self.assertEqual(page.evaluate("() => [window.__xss_me, window.__xss_bot]"), [None, None])
		self.browser.screenshot("playground-formatted")

	def test_transcript_draws_the_formatting_and_keeps_markup_as_text(self):
		user = f.make_chat_user(f"chatbot-format-{frappe.generate_hash(length=8)}@example.com")
		self.addCleanup(
			lambda: (frappe.delete_doc("User", user, force=True, ignore_permissions=True), frappe.db.commit())
		)
		number = new_number()
		contact = f.make_contact(
			number, user=user, profile_name="Ana Formato", last_inbound_at=now_datetime()
		)
		conversation = contacts.conversation_for(contact)
		self.message(conversation.name, contact, "Incoming", CONTACT_TEXT)
		self.message(conversation.name, contact, "Outgoing", BOT_TEXT)
		frappe.db.commit()

		page = self.browser.open(
			f"/app/chatbot-conversation/{conversation.name}", ready=".chatbot-transcript .chatbot-right"
		)
		incoming = page.evaluate(ELEMENTS, ".chatbot-transcript .chatbot-left .chatbot-text")
		outgoing_ = page.evaluate(ELEMENTS, ".chatbot-transcript .chatbot-right .chatbot-text")
		self.assertEqual(
			(incoming["b"], incoming["i"], incoming["s"], incoming["code"], incoming["img"]),
			(["bot"], ["dime", "<img src=x onerror=window.__xss_me=1>"], ["precio"], ["TORN-M8"], 0),
		)
		self.assertEqual(
			(outgoing_["b"], outgoing_["i"], outgoing_["s"], outgoing_["code"], outgoing_["img"]),
			(
				["Stock de TORN-M8", "<img src=x onerror=window.__xss_bot=1>"],
				["120 piezas"],
				["Almacén Norte"],
				["TORN-M8", "SELECT qty"],
				0,
			),
		)
		self.assertEqual(page.evaluate("() => [window.__xss_me, window.__xss_bot]"), [None, None])
		self.assertEqual(self.shown_count(page), "2")
		self.browser.screenshot("conversation-transcript-formatted")

		# a message stored while the form is open: the transcript and the Messages counter follow
		self.browser.wait_for_realtime()
		self.message(conversation.name, contact, "Outgoing", "_una más_")
		frappe.db.commit()
		self.browser.wait_for(".chatbot-transcript .chatbot-right .chatbot-text i:has-text('una más')")
		self.browser.wait_until(
			"() => cur_frm.doc.message_count === 3 && "
			"$(cur_frm.fields_dict.message_count.disp_area).text().trim() === '3'"
		)
		self.assertEqual(self.shown_count(page), "3")

	@staticmethod
	def shown_count(page) -> str:
		return page.evaluate("() => $(cur_frm.fields_dict.message_count.disp_area).text().trim()")

	@staticmethod
	def message(conversation: str, contact, direction: str, text: str) -> str:
		outgoing_row = direction == "Outgoing"
		return (
			frappe.get_doc(
				{
					"doctype": "Chatbot Message",
					"direction": direction,
					"status": "Sent" if outgoing_row else "Answered",
					"channel": "WhatsApp",
					"message_type": "text",
					"wamid": f"wamid.FORMAT{frappe.generate_hash(length=12)}",
					"contact": contact.name,
					"conversation": conversation,
					"wa_id": contact.wa_id,
					"text": text,
					"request_body": json.dumps(outgoing.text(text)) if outgoing_row else None,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
