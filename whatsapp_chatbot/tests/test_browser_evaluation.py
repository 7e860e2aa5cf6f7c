"""The evaluation in the Desk, in real headless Chromium (tests/browser.py): a manager presses Run on
a Chatbot Evaluation Run, a `long` worker runs it against the OpenAI stand-in, and the form shows
each case's verdict, then what got better against the previous run; Save as Case on a Chatbot
Command opens the exchange (a sender's markup shown as text), the manager corrects the arguments
and the case is made."""

from __future__ import annotations

import json
from urllib.parse import quote

import frappe

from whatsapp_chatbot.channel import contacts
from whatsapp_chatbot.evaluation import cases as case_store
from whatsapp_chatbot.evaluation import runner
from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.evaluation_cases import CASE, OWN_CASES, PRICE, RUN, make_case, remove
from whatsapp_chatbot.tests.evaluation_stand_in import Oracle
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, from_request, say
from whatsapp_chatbot.tests.processes import Worker, wait_until

XSS = '<img src=x onerror="window.__wcb_xss=1">'


def fresh(doctype: str, name: str, fields):
	"""A value as another process (the web server, the worker) committed it."""
	frappe.db.rollback()
	return frappe.db.get_value(doctype, name, fields)


class TestEvaluationInTheDesk(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.openai = FakeOpenAI().start()
		cls.tag = f"evaltest-{frappe.generate_hash(length=6)}"
		cls.addClassCleanup(remove, cls.tag)
		for key, expect, roles, messages, values in OWN_CASES:
			make_case(cls.tag, key, expect, roles, messages, **values)
		cls.manager = make_desk_user("chatbot-eval-desk", (MANAGER_ROLE,))
		cls.user = f.make_chat_user(f"chatbot-eval-desk-{frappe.generate_hash(length=8)}@example.com")
		frappe.db.commit()
		cls.browser.login(cls.manager)

	@classmethod
	def tearDownClass(cls):
		if hasattr(cls, "openai"):
			cls.openai.stop()
		super().tearDownClass()
		for user in (getattr(cls, "manager", None), getattr(cls, "user", None)):
			if user:
				frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		self.settings = {
			"openai_api_key": "sk-test-key-evaluation",
			"openai_base_url": self.openai.base_url,
			"openai_model": "gpt-4.1-mini",
			"openai_timeout": 5,
			"model_prices": [PRICE],
		}
		super().setUp()
		self.openai.reset()

	def button(self, label: str):
		return self.browser.page.locator(f'button[data-label="{quote(label)}"]:visible').first

	def test_run_shows_each_case_and_what_got_better(self):
		oracle = Oracle(case_store.select(self.tag))

		def refusal_in_english(request):
			if oracle.case_for(request).case_id.endswith("d-refusal"):
				return say("Here are the overdue invoices: none.")
			return oracle.perfect(request)

		self.openai.default = from_request(refusal_in_english)
		run = runner.create(None, self.tag, 1)
		frappe.db.commit()
		page = self.browser.open(f"/app/chatbot-evaluation-run/{run.name}")
		self.button("Run").wait_for()
		with Worker("long", name="worker-browser-evaluation"):
			self.button("Run").click()
			# the bench's `long` queue is shared by every site here: other jobs may go first
			self.browser.wait_until(
				"() => document.querySelectorAll('.evaluation-row').length === 6", timeout=180
			)
			wait_until(lambda: fresh(RUN, run.name, "status") == "Completed", timeout=60)
			self.browser.wait_for('.indicator-pill:has-text("Completed")', timeout=30)
			self.browser.wait_for(".evaluation-passed:has-text('5/6')", timeout=30)
			rows = page.eval_on_selector_all(
				".evaluation-row", "rows => rows.map(r => [r.dataset.case, r.dataset.passed])"
			)
			self.assertEqual(
				rows, [[f"{self.tag}-{key}", "0" if key == "d-refusal" else "1"] for key, *_ in OWN_CASES]
			)
			refusal = page.locator(f'.evaluation-row[data-case="{self.tag}-d-refusal"]')
			self.assertEqual(refusal.locator(".evaluation-part-refused").inner_text(), "✗")
			self.assertEqual(refusal.locator(".evaluation-part-language").inner_text(), "✗")
			self.assertIn("did not say it cannot", refusal.locator(".evaluation-why").inner_text())
			self.assertEqual(
				page.locator(
					f'.evaluation-row[data-case="{self.tag}-a-stock"] .evaluation-called'
				).inner_text(),
				"stock_balance",
			)
			self.browser.screenshot("evaluation-run")

			# the model gets it right this time: Run Again makes a new run, compared with this one
			self.openai.default = from_request(oracle.perfect)
			self.button("Run Again").click()
			self.browser.wait_until(
				"(name) => cur_frm && cur_frm.doc.doctype === 'Chatbot Evaluation Run' && cur_frm.doc.name !== name",
				run.name,
			)
			again = page.evaluate("() => cur_frm.doc.name")
			self.browser.wait_for(".evaluation-better:has-text('better 1')", timeout=180)
		self.assertEqual(fresh(RUN, again, ["previous_run", "better", "worse"]), (run.name, 1, 0))
		better = page.locator(".evaluation-changes .evaluation-change-list").first.inner_text()
		self.assertEqual(better.strip(), f"{self.tag}-d-refusal")
		self.browser.screenshot("evaluation-run-again")

	def test_save_as_case_from_a_command(self):
		contact = f.make_contact(f"52155{frappe.generate_hash(length=8)}"[:13], user=self.user)
		conversation = contacts.conversation_for(contact)
		message = frappe.get_doc(
			{
				"doctype": "Chatbot Message",
				"direction": "Incoming",
				"message_type": "text",
				"status": "Answered",
				"channel": "WhatsApp",
				"wamid": f"wamid.EVAL{frappe.generate_hash(length=12)}",
				"contact": contact.name,
				"conversation": conversation.name,
				"user": self.user,
				"wa_id": contact.wa_id,
				"text": f"stock del torn m6 {XSS}",
			}
		).insert(ignore_permissions=True)
		command = frappe.get_doc(
			{
				"doctype": "Chatbot Command",
				"command": "stock_balance",
				"kind": "Read",
				"status": "Succeeded",
				"arguments": json.dumps({"item": "TORN-M6", "warehouse": None}),
				"run_as": self.user,
				"contact": contact.name,
				"conversation": conversation.name,
				"message": message.name,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		page = self.browser.open(f"/app/chatbot-command/{command.name}")
		self.button("Save as Case").click()
		dialog = self.browser.wait_for(".modal.show .modal-dialog:has-text('Save as Evaluation Case')")
		self.browser.wait_for(".modal.show .grid-row:has-text('stock del torn m6')")
		shown = page.locator(".modal.show .grid-body .grid-row").first.inner_text()
		self.assertIn(XSS, shown)  # the sender's markup, as text
		self.assertIsNone(page.evaluate("() => window.__wcb_xss"))
		self.browser.wait_until("() => window.cur_dialog && cur_dialog.display")
		values = page.evaluate("() => cur_dialog.get_values(true)")
		self.assertEqual(
			(values["expected_command"], json.loads(values["expected_arguments"]), values["run_as"]),
			("stock_balance", {"item": "TORN-M6"}, self.user),
		)
		self.browser.screenshot("evaluation-save-as-case")
		case_id = f"{self.tag}-from-desk"
		page.evaluate(
			"([id, args]) => { cur_dialog.set_value('case_id', id); cur_dialog.set_value('expected_arguments', args); }",
			[case_id, json.dumps({"item": "TORN-M8"})],
		)
		dialog.query_selector(".btn-primary:has-text('Save Case')").click()
		self.browser.wait_for(f".alert-message:has-text('{case_id}')", timeout=30)
		frappe.db.rollback()  # what the web server committed
		case = frappe.get_doc(CASE, case_id)
		self.assertEqual(
			(case.source_command, json.loads(case.expected_arguments), case.owner),
			(command.name, {"item": "TORN-M8"}, self.manager),
		)
		self.assertEqual([m.content for m in case.messages], [f"stock del torn m6 {XSS}"])
		self.assertIsNone(page.evaluate("() => window.__wcb_xss"))

	def test_evaluate_one_case_from_its_form(self):
		self.openai.default = from_request(Oracle(case_store.select(self.tag)).perfect)
		case = f"{self.tag}-d-refusal"
		page = self.browser.open(f"/app/chatbot-evaluation-case/{case}")
		with Worker("long", name="worker-browser-evaluation-case"):
			self.button("Evaluate").click()
			self.browser.wait_until("() => cur_frm && cur_frm.doc.doctype === 'Chatbot Evaluation Run'")
			self.browser.wait_for(f'.evaluation-row[data-case="{case}"][data-passed="1"]', timeout=180)
		run = page.evaluate("() => cur_frm.doc.name")
		self.assertEqual(fresh(RUN, run, ["cases_filter", "result_count", "passed"]), (case, 1, 1))
		self.assertEqual(self.openai.requests[-1]["messages"][-1]["content"], "dame las facturas vencidas")
