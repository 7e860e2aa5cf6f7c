"""The Desk's review side in real headless Chromium (tests/browser.py): the workspace's cards, a
conversation's transcript updated live by a webhook message, a long command's moving progress bar."""

from __future__ import annotations

import io
import json
import random
import unittest
from contextlib import redirect_stderr

import frappe
from frappe.utils import now_datetime, today

from whatsapp_chatbot.channel import backlog, contacts, outbox, outgoing
from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.tests import browser
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.long_task import define_slow_command
from whatsapp_chatbot.tests.processes import Worker, wait_until

RUN = frappe.generate_hash(length=6)
WORKSPACE_CARDS = 10


def new_number() -> str:
	return "52155" + "".join(random.choice("0123456789") for _ in range(8))


class TestDeskReview(BrowserTestCase):
	settings = {"progress_interval_seconds": 1}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_desk_user("chatbot-desk-manager", (MANAGER_ROLE,))
		# per class, not per test: Frappe throttles creating more than 60 users an hour
		cls.user = f.make_chat_user(f"chatbot-desk-{frappe.generate_hash(length=8)}@example.com")
		cls.browser.login(cls.manager)

	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()  # removes the contacts that link to the users first
		for user in (getattr(cls, "manager", None), getattr(cls, "user", None)):
			if user:
				frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		self.number = new_number()
		self.contact = f.make_contact(
			self.number, user=self.user, profile_name=f"Ana {RUN}", last_inbound_at=now_datetime()
		)

	def test_workspace_cards_show_numbers(self):
		conversation = contacts.conversation_for(self.contact)
		self._incoming(conversation.name, "hola", prompt_tokens=1200, completion_tokens=300, cost=0.25)
		self._command(conversation.name, status="Awaiting Confirmation", kind="Write", command="create_todo")
		self._command(conversation.name, status="Failed", error="ToDo: not permitted")
		waiting_before = backlog.queue().count  # no worker here: the queue only grows
		page = self.browser.open("/app/whatsapp-chatbot", ready=".number-widget-box")
		self.browser.wait_until(
			"(n) => document.querySelectorAll('.number-widget-box .widget-content .number').length >= n",
			WORKSPACE_CARDS,
		)
		cards = page.eval_on_selector_all(
			".number-widget-box",
			"""boxes => boxes.map(b => [
				b.querySelector('.widget-title') && b.querySelector('.widget-title').textContent.trim(),
				b.querySelector('.number') && b.querySelector('.number').textContent.trim()])""",
		)
		self.assertEqual(len(cards), WORKSPACE_CARDS, cards)
		for title, number in cards:
			self.assertRegex(number or "", r"\d", f"{title}: {number!r}")
		by_title = {
			title: int("".join(c for c in number.split(".")[0] if c.isdigit())) for title, number in cards
		}
		conversations = frappe.get_all(
			"Chatbot Conversation", fields=["status", "count(name) as count"], group_by="status"
		)
		by_status = {row.status: row.count for row in conversations}
		self.assertEqual(
			by_title["Open Conversations"], sum(n for status, n in by_status.items() if status != "Closed")
		)
		self.assertEqual(by_title["Waiting for a Person"], by_status.get("Waiting", 0))
		self.assertEqual(by_title["Handled by a Person"], by_status.get("Human", 0))
		self.assertEqual(
			by_title["Messages Today"], frappe.db.count("Chatbot Message", {"creation": (">=", today())})
		)
		self.assertEqual(
			by_title["Awaiting Confirmation"],
			frappe.db.count("Chatbot Command", {"status": "Awaiting Confirmation"}),
		)
		self.assertGreaterEqual(by_title["Failures Today"], 1)  # messages and commands
		self.assertGreaterEqual(by_title["Tokens This Month"], 1500)
		# the turn queue's cards (Custom, api/turn_queue.py): no worker runs here, nothing was measured
		self.assertLessEqual(waiting_before, by_title["Turns Waiting"])
		self.assertLessEqual(by_title["Turns Waiting"], backlog.queue().count)
		self.assertEqual(by_title["Turn Wait p50 (s)"], 0)  # set-up cleared what workers measured
		self.browser.wait_for(".widget.dashboard-widget-box .chart-container, .frappe-chart", timeout=30)
		self.assertTrue(
			by_title["Estimated Cost This Month"] >= 0 and "$" in dict(cards)["Estimated Cost This Month"]
		)
		self.browser.screenshot("workspace")
		shortcuts = page.locator(".shortcut-widget-box")
		shortcuts.last.scroll_into_view_if_needed()
		self.assertEqual(
			{t.strip() for t in shortcuts.locator(".widget-title").all_text_contents()},
			{
				"Conversations",
				"Commands",
				"Contacts",
				"Command Definitions",
				"Settings",
				"Playground",
				"Usage",
				"Missing Translations",
				"Templates",
				"Subscriptions",
				"Evaluation Runs",
				"Evaluation Cases",
				"Approvals",
			},
		)
		self.browser.screenshot("workspace-shortcuts")

	def test_transcript_renders_and_updates_live(self):
		conversation = contacts.conversation_for(self.contact)
		f.make_settings(self.graph.base_url)
		incoming = self._incoming(conversation.name, "¿cuánto stock hay del TORN-M8?")
		self._incoming(conversation.name, "", is_voice=1, transcript="nota de voz: precio del tornillo")
		frappe.flags.whatsapp_chatbot_send_inline = True  # sent below, in this process
		outbox.queue(
			self.contact,
			outgoing.buttons("¿Creo la cotización?", [("c:1", "Confirmar"), ("x:1", "Cancelar")]),
			conversation.name,
			answers=incoming,
		)
		frappe.flags.whatsapp_chatbot_send_inline = False
		frappe.db.commit()
		outbox.drain(self.contact.name)
		frappe.db.commit()
		sent = frappe.db.get_value(
			"Chatbot Message", {"conversation": conversation.name, "direction": "Outgoing"}, "wamid"
		)
		f.call_webhook("POST", f.status_webhook(sent, "read", recipient=self.number))
		command = frappe.get_doc(
			{
				"doctype": "Chatbot Command",
				"command": "stock_balance",
				"kind": "Read",
				"status": "Succeeded",
				"arguments": json.dumps({"item_code": "TORN-M8"}),
				"result": "TORN-M8: 120 en Almacén Central",
				"run_as": self.user,
				"contact": self.contact.name,
				"conversation": conversation.name,
				"message": incoming,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()

		page = self.browser.open(
			f"/app/chatbot-conversation/{conversation.name}", ready=".chatbot-transcript .chatbot-row"
		)
		transcript = page.locator(".chatbot-transcript")
		self.assertEqual(transcript.locator(".chatbot-left").count(), 2)
		self.assertEqual(transcript.locator(".chatbot-right").count(), 1)
		self.assertIn("TORN-M8", transcript.locator(".chatbot-left").first.inner_text())
		self.assertIn("precio del tornillo", transcript.locator(".chatbot-voice").inner_text())
		self.assertEqual(
			transcript.locator(".chatbot-right .chatbot-choice").all_inner_texts(), ["Confirmar", "Cancelar"]
		)
		self.assertEqual(transcript.locator(".chatbot-right .chatbot-ticks.chatbot-read").count(), 1)
		card = transcript.locator(f'[data-command="{command.name}"]')
		self.assertIn("stock_balance", card.inner_text())
		self.assertIn("120", card.inner_text())
		self.browser.screenshot("conversation-transcript")

		# a new message through Meta's webhook appears in the open form, without a reload
		self.browser.wait_for_realtime()
		page.evaluate("() => { window.__chatbot_no_reload = true; }")
		text = f"mensaje en vivo {RUN}"
		with Worker("short", name="worker-browser"):
			self.post_webhook(f.text_webhook(text, wa_id=self.number))
			self.browser.wait_for(f'.chatbot-transcript .chatbot-left:has-text("{text}")', timeout=60)
			# and the bot's answer after it (no OpenAI key here: the "not configured" reply)
			self.browser.wait_until(
				"() => document.querySelectorAll('.chatbot-transcript .chatbot-right').length >= 2",
				timeout=60,
			)
		self.assertTrue(page.evaluate("() => window.__chatbot_no_reload === true"))
		self.browser.screenshot("conversation-transcript-live")

	def test_long_command_progress_moves(self):
		slow = define_slow_command(self.addCleanup)
		with (
			Worker("short,default", name="worker-browser-short"),
			Worker("long", name="worker-browser-long"),
		):
			self.post_webhook(f.text_webhook(f"/{slow} steps=30 seconds=0.6", wa_id=self.number))
			# the bench's `long` queue is shared by every site here: other sites' jobs may go first
			name = wait_until(
				lambda: frappe.db.get_value(
					"Chatbot Command", {"contact": self.contact.name, "status": "Running"}
				),
				timeout=300,
				interval=0.5,
			)
			page = self.browser.open(f"/app/chatbot-command/{name}", ready=".form-dashboard .progress-bar")
			self.browser.wait_for_realtime()
			first = self._bar_width(page)
			self.browser.wait_until(
				"(w) => parseFloat(document.querySelector('.form-dashboard .progress-bar').style.width) > w",
				first,
				timeout=30,
			)
			self.browser.screenshot("command-progress")
			conversation = frappe.db.get_value("Chatbot Command", name, "conversation")
			page = self.browser.open(
				f"/app/chatbot-conversation/{conversation}",
				ready=f'[data-command="{name}"] .progress-bar',
			)
			self.browser.wait_for_realtime()
			card_bar = f'[data-command="{name}"] .progress-bar'
			start = page.eval_on_selector(card_bar, "b => parseFloat(b.style.width)")
			self.browser.wait_until(
				"([s, w]) => { const b = document.querySelector(s); return !b || parseFloat(b.style.width) > w; }",
				[card_bar, start],
				timeout=30,
			)
			self.browser.screenshot("conversation-command-progress")
			wait_until(
				lambda: frappe.db.get_value("Chatbot Command", name, "status") == "Succeeded", timeout=60
			)
			self.browser.wait_for(f'[data-command="{name}"][data-status="Succeeded"]', timeout=30)

	def test_command_message_and_report_pages(self):
		conversation = contacts.conversation_for(self.contact)
		question = self._incoming(
			conversation.name, "crea un pendiente", prompt_tokens=900, completion_tokens=100
		)
		command = self._command(
			conversation.name,
			status="Succeeded",
			kind="Write",
			command="create_todo",
			message=question,
			arguments=json.dumps({"description": "Llamar a Acme", "date": "2026-12-01"}),
			preview="Crear pendiente: Llamar a Acme (2026-12-01)",
			result="Pendiente creado: TODO-0001",
		)
		failed = frappe.get_doc(
			{
				"doctype": "Chatbot Message",
				"direction": "Outgoing",
				"status": "Failed",
				"message_type": "text",
				"contact": self.contact.name,
				"conversation": conversation.name,
				"text": "Tu reporte está listo",
				"error_code": "131047",
				"error_message": "Re-engagement message",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()

		page = self.browser.open(
			f"/app/chatbot-command/{command}", ready=".chatbot-details .chatbot-arguments"
		)
		self.assertEqual(
			page.locator(".chatbot-arguments tr").all_inner_texts(),
			["description\tLlamar a Acme", "date\t2026-12-01"],
		)
		self.assertIn("TODO-0001", page.locator(".chatbot-result").inner_text())
		self.assertEqual(page.locator(".frappe-control[data-fieldname='arguments']").is_visible(), False)
		self.assertTrue(page.get_by_role("button", name="Re-run").is_visible())
		self.browser.screenshot("command-form")

		page = self.browser.open(f"/app/chatbot-message/{failed.name}", ready=".chatbot-meta-error")
		intro = page.locator(".chatbot-meta-error").inner_text()
		self.assertIn("131047", intro)
		self.assertIn("Re-engagement message", intro)
		self.assertIn("Waiting Template", intro)
		self.browser.screenshot("message-failed")

		page = self.browser.open(
			f"/app/query-report/Chatbot Usage?user={self.user}", ready=".dt-scrollable .dt-row"
		)
		self.browser.wait_until(
			"(u) => [...document.querySelectorAll('.dt-scrollable .dt-cell__content')].some(c => c.textContent.includes(u))",
			self.user,
		)
		self.browser.screenshot("usage-report")

		# contact, user and the last message (with its direction) in the list
		self.browser.open(
			"/app/chatbot-conversation", ready='.frappe-list .list-row:has-text("→ Tu reporte está listo")'
		)
		self.browser.screenshot("conversation-list")

	def test_rerun_and_cancel_buttons(self):
		conversation = contacts.conversation_for(self.contact)
		question = self._incoming(conversation.name, "¿cuántos pendientes tengo?")
		original = self._command(
			conversation.name,
			status="Succeeded",
			message=question,
			arguments=json.dumps({"doctype": "ToDo", "count_only": True}),
			result="3",
		)
		page = self.browser.open(f"/app/chatbot-command/{original}", ready=".chatbot-details")
		with Worker("short", name="worker-browser-rerun"):
			page.get_by_role("button", name="Re-run").click()
			self.browser.wait_for(".modal.show .btn-primary")
			self.browser.screenshot("command-rerun-confirm", settle=0.3)
			page.locator(".modal.show .btn-primary").click()
			self.browser.wait_until(
				"(name) => frappe.get_route()[0] === 'Form' && frappe.get_route()[2] !== name && cur_frm && !cur_frm.is_dirty()",
				original,
			)
			rerun = page.evaluate("() => frappe.get_route()[2]")
			self.graph.wait_for(
				lambda g: [m for m in g.sent_messages() if m["to"] == self.number], timeout=60
			)
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Chatbot Command", rerun, ["command", "run_as", "status"]),
			("find_documents", self.user, "Succeeded"),
		)
		self.browser.wait_for(".chatbot-details .chatbot-result")
		self.browser.screenshot("command-rerun-result")

		queued = self._command(
			conversation.name, status="Queued", kind="Long", command="export_list", message=question
		)
		page = self.browser.open(f"/app/chatbot-command/{queued}", ready=".chatbot-details")
		page.get_by_role("button", name="Cancel").click()
		self.browser.wait_for(".modal.show .btn-primary")
		page.locator(".modal.show .btn-primary").click()
		self.browser.wait_until("() => cur_frm && cur_frm.doc.status === 'Cancelled'")
		self.assertEqual(frappe.db.get_value("Chatbot Command", queued, "cancel_requested"), 1)
		self.browser.screenshot("command-cancelled")

	def test_spanish_desk(self):
		"""A manager whose language is Spanish gets the workspace and the transcript in Spanish
		(translations/es.csv)."""
		from frappe.translate import clear_cache

		clear_cache()
		manager_es = make_desk_user("chatbot-desk-gerente", (MANAGER_ROLE,))
		frappe.db.set_value("User", manager_es, "language", "es")
		frappe.db.commit()
		try:
			self.browser.login(manager_es)
			self.browser.open(
				"/app/whatsapp-chatbot", ready='.number-widget-box .widget-title:has-text("Mensajes de hoy")'
			)
			self.browser.wait_for('.widget-title:has-text("Conversaciones abiertas")')
			self.browser.screenshot("workspace-es")
			conversation = contacts.conversation_for(self.contact)
			self._command(
				conversation.name, status="Awaiting Confirmation", kind="Write", command="create_todo"
			)
			self.browser.open(
				f"/app/chatbot-conversation/{conversation.name}",
				ready='.chatbot-card .indicator-pill:has-text("Esperando confirmación")',
			)
			self.browser.wait_for('.chatbot-card:has-text("(Escritura)")')  # the kind, with its context
			self.browser.screenshot("conversation-es")
		finally:
			self.browser.login(self.manager)
			frappe.delete_doc("User", manager_es, force=True, ignore_permissions=True)
			frappe.db.commit()

	def _command(self, conversation: str, **values) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Chatbot Command",
				"command": "find_documents",
				"kind": "Read",
				"arguments": "{}",
				"run_as": self.user,
				"contact": self.contact.name,
				"conversation": conversation,
				**values,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name

	def _bar_width(self, page) -> float:
		return page.eval_on_selector(".form-dashboard .progress-bar", "b => parseFloat(b.style.width) || 0")

	def _incoming(self, conversation: str, text: str, **values) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Chatbot Message",
				"direction": "Incoming",
				"message_type": "audio" if values.get("is_voice") else "text",
				"status": "Answered",
				"channel": "WhatsApp",
				"wamid": f"wamid.DESK{frappe.generate_hash(length=12)}",
				"contact": self.contact.name,
				"conversation": conversation,
				"user": self.user,
				"wa_id": self.number,
				"text": text or values.get("transcript"),
				**values,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name


class TestSkippedWithAReason(unittest.TestCase):
	"""Without Chromium the browser tests skip, saying why (and .ci/run counts the marker)."""

	def test_missing_chromium(self):
		original = browser.CHROMIUM
		browser.CHROMIUM = "/nonexistent/chromium"
		try:
			stderr = io.StringIO()
			with redirect_stderr(stderr), self.assertRaises(unittest.SkipTest) as skipped:
				BrowserTestCase.setUpClass()
		finally:
			browser.CHROMIUM = original
		self.assertIn("Chromium is not installed", str(skipped.exception))
		self.assertIn(f"{browser.SKIP_MARKER} Chromium is not installed", stderr.getvalue())
