"""The Chatbot Template list and form in real headless Chromium (tests/browser.py): Sync from Meta
from the list with each status coloured, the form's preview with the parameters marked, Meta's
events on the form (shown as text, markup included), and Send Test to a contact."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.message_templates import sync
from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.fake_template_samples import sample_set

TEMPLATE = "Chatbot Template"
MARKUP = '<img src=x onerror="window.__wcb_xss=1">'


class TestTemplateDesk(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_desk_user("chatbot-template-manager", (MANAGER_ROLE,))
		cls.browser.login(cls.manager)

	def setUp(self):
		super().setUp()
		self.suffix = "_" + frappe.generate_hash(length=6)
		self.waba = str(800000000000000 + int(frappe.generate_hash(length=8), 16))
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "business_account_id", self.waba)
		frappe.clear_document_cache("WhatsApp Chatbot Settings", "WhatsApp Chatbot Settings")
		frappe.db.commit()
		for template in sample_set(self.suffix):
			self.graph.templates.add_template(self.waba, **template)
		self.addCleanup(self.forget)

	def forget(self):
		frappe.db.rollback()
		names = frappe.get_all(TEMPLATE, filters={"business_account_id": self.waba}, pluck="name") or [""]
		frappe.db.delete("Chatbot Template Event", {"parent": ("in", names)})
		frappe.db.delete(TEMPLATE, {"name": ("in", names)})
		frappe.db.commit()

	def name(self, template: str, language: str) -> str:
		return f"{template}{self.suffix}-{language}"

	def test_list_syncs_from_meta_and_colours_each_status(self):
		self.graph.templates.event(f"t_hello{self.suffix}", "en", "PAUSED")
		self.browser.open(
			f"/app/chatbot-template?business_account_id={self.waba}",
			ready="button:has-text('Sync from Meta')",
		)
		self.browser.page.click("button:has-text('Sync from Meta')")
		self.browser.wait_for(".alert-message:has-text('6 templates at Meta: 6 new')")
		self.browser.wait_for(f".list-row:has-text('t_hello{self.suffix}')", timeout=10)
		self.browser.wait_until("() => document.querySelectorAll('.list-row-container').length >= 6")
		pills = self.browser.page.eval_on_selector_all(
			".list-row-container",
			"rows => rows.map(r => [r.querySelector('.list-row-checkbox')?.dataset.name, "
			"r.querySelector('.indicator-pill')?.textContent.trim(), r.querySelector('.indicator-pill')?.className])",
		)
		self.browser.screenshot("template-list-synced")
		shown = {row[0]: (row[1], row[2]) for row in pills}
		self.assertEqual(shown[self.name("t_hello", "en")][0], "PAUSED", pills)
		self.assertIn("orange", shown[self.name("t_hello", "en")][1])
		self.assertEqual(shown[self.name("t_hello", "es")][0], "APPROVED", pills)
		self.assertIn("green", shown[self.name("t_hello", "es")][1])

	def test_form_preview_events_and_send_test(self):
		sync.sync_templates()
		name = self.name("t_invoice_named", "en")
		# Meta pauses it, then reinstates it; the pause's description carries markup
		self.post_webhook(
			self.graph.templates.event(
				f"t_invoice_named{self.suffix}",
				"en",
				"PAUSED",
				other_info={"title": "FIRST_PAUSE", "description": MARKUP},
			)
		)
		self.post_webhook(self.graph.templates.event(f"t_invoice_named{self.suffix}", "en", "REINSTATED"))
		self.post_webhook(self.graph.templates.event(f"t_invoice_named{self.suffix}", "en", "FLAGGED"))
		contact = f.make_contact("5215512349876", user=f.make_user("template-browser-contact@example.com"))

		page = self.browser.open(f"/app/chatbot-template/{name}", ready=".wcb-template-preview")
		marks = page.eval_on_selector_all(
			".wcb-template-body mark", "ms => ms.map(m => [m.title, m.textContent])"
		)
		chips = page.eval_on_selector_all(".wcb-template-chip", "cs => cs.map(c => c.textContent.trim())")
		media = page.text_content(".wcb-template-media")
		indicator = page.text_content(".page-head .indicator-pill")
		events = page.eval_on_selector_all(
			"[data-fieldname='events'] .grid-body .data-row [data-fieldname='event']",
			"cells => cells.map(c => c.textContent.trim())",
		)
		page.click(".section-head:has-text('Meta Events')")  # collapsed by default
		self.browser.screenshot("template-form-preview-events")
		self.assertEqual(marks, [["invoice", "ACC-SINV-0001"], ["amount", "$1,200.00"]])
		self.assertEqual(chips, ["Paid", "Not yet"])
		self.assertIn("document", media)
		self.assertIn("Approved, flagged", indicator)
		self.assertEqual(events, ["PAUSED", "REINSTATED", "FLAGGED"])
		details = page.eval_on_selector_all(
			"[data-fieldname='events'] .grid-body .data-row [data-fieldname='detail']",
			"cells => cells.map(c => c.textContent.trim())",
		)
		self.assertIn(MARKUP, details[0])  # Meta's words shown as written, not run
		self.assertIsNone(page.evaluate("() => window.__wcb_xss"))

		page.click("button:has-text('Send Test')")
		dialog = self.browser.wait_for(".modal.show .modal-dialog:has-text('Send Test')")
		self.browser.wait_until("() => window.cur_dialog && cur_dialog.display")
		prefilled = page.eval_on_selector_all(
			".modal.show input[data-fieldname^='param_']", "inputs => inputs.map(i => i.value)"
		)
		page.evaluate("(c) => cur_dialog.set_value('contact', c)", contact.name)
		page.fill(".modal.show input[data-fieldname='param_0']", "ACC-SINV-0042")
		page.wait_for_timeout(500)
		self.browser.screenshot("template-send-test-dialog")
		self.assertEqual(prefilled[:2], ["ACC-SINV-0001", "$1,200.00"])
		dialog.query_selector(".btn-primary:has-text('Send')").click()
		self.browser.wait_for(".modal.show:has-text('Test queued')")
		self.browser.screenshot("template-send-test-queued")

		frappe.db.rollback()
		f.run_jobs()
		f.settled(contact.wa_id)
		[row] = f.rows("Outgoing", contact=contact.name)
		self.assertEqual((row.status, row.template), ("Sent", name), row.error_message)
		sent = self.graph.sent_messages()[-1]["template"]
		body = next(c for c in sent["components"] if c["type"] == "body")
		self.assertEqual(
			body["parameters"][0], {"type": "text", "text": "ACC-SINV-0042", "parameter_name": "invoice"}
		)
