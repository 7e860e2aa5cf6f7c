"""The app's own templates submitted to Meta's stand-in, and the template form's endpoints (preview,
Send Test) in the real site."""

import json

import frappe

from whatsapp_chatbot.api import setup, templates
from whatsapp_chatbot.message_templates import standard
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.test_templates import TEMPLATE, TemplatesTestCase

APP_ROWS = [f"{name}-{language}" for name in standard.TEMPLATES for language in standard.LANGUAGES]


class TestAppTemplates(TemplatesTestCase):
	def setUp(self):
		super().setUp()
		# rows of the app's templates a real account left on this site are put back afterwards
		kept = [
			frappe.get_doc(TEMPLATE, name).as_dict() for name in APP_ROWS if frappe.db.exists(TEMPLATE, name)
		]
		for row in kept:
			frappe.delete_doc(TEMPLATE, row.name, force=True, ignore_permissions=True)
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "default_language", "es")
		frappe.db.commit()
		self.addCleanup(self.restore, kept)

	def restore(self, kept):
		frappe.db.rollback()
		for name in APP_ROWS:
			frappe.db.delete("Chatbot Template Event", {"parent": name})
			frappe.db.delete(TEMPLATE, name)
		for row in kept:
			frappe.get_doc({**row, "doctype": TEMPLATE}).db_insert()
		frappe.db.commit()

	def press(self) -> dict:
		frappe.set_user(self.manager)
		try:
			return setup.create_app_templates()
		finally:
			frappe.set_user("Administrator")

	def creates(self) -> list[dict]:
		return [
			r.json
			for r in self.graph.requests
			if r.method == "POST" and r.path.endswith(f"/{self.waba}/message_templates")
		]

	def test_es_and_en_submitted_with_examples_once(self):
		result = self.press()
		self.assertEqual(sorted(result["submitted"]), sorted(APP_ROWS))
		self.assertEqual(result["failed"], [])
		sent = self.creates()
		self.assertEqual(len(sent), 10)
		for body in sent:
			self.assertEqual((body["category"], body["parameter_format"]), ("UTILITY", "NAMED"))
			component = next(c for c in body["components"] if c["type"] == "BODY")
			self.assertTrue(component["example"]["body_text_named_params"])
		approval = next(b for b in sent if b["name"] == standard.APPROVAL_REQUEST and b["language"] == "es")
		handle = approval["components"][0]["example"]["header_handle"][0]
		self.assertEqual(self.graph.templates.handles[handle][1], "application/pdf")
		for name in APP_ROWS:
			row = frappe.get_doc(TEMPLATE, name)
			self.assertEqual(
				(row.status, row.is_app_template, row.business_account_id), ("PENDING", 1, self.waba)
			)
			self.assertTrue(row.template_id)
		self.assertEqual(self.graph.templates.get(standard.WAITING, "es")["status"], "PENDING")
		# the empty Settings now name the app's templates in the Settings' language
		settings = frappe.get_single("WhatsApp Chatbot Settings")
		self.assertEqual(
			(settings.waiting_template, settings.notification_template),
			("chatbot_messages_waiting-es", "chatbot_notification-es"),
		)

		again = self.press()
		self.assertEqual((again["submitted"], again["failed"]), ([], []))
		self.assertEqual(sorted(again["existing"]), sorted(APP_ROWS))
		self.assertEqual(len(self.creates()), 10)  # nothing submitted twice

	def test_one_meta_already_holds_is_synced_not_submitted(self):
		body = standard.definition(standard.REPORT_READY, "es")
		self.graph.templates.add_template(
			self.waba, body["name"], "es", body["components"], parameter_format="NAMED"
		)
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "waiting_template", None)
		result = self.press()
		self.assertIn("chatbot_report_ready-es", result["existing"])
		self.assertEqual(len(result["submitted"]), 9)
		row = frappe.get_doc(TEMPLATE, "chatbot_report_ready-es")
		self.assertEqual((row.status, row.is_app_template), ("APPROVED", 1))
		self.assertEqual(len([b for b in self.creates() if b["name"] == standard.REPORT_READY]), 1)  # en only

	def test_a_refusal_is_reported_and_the_next_press_submits_it(self):
		self.graph.fail_next(131000, path="/uploads")  # the example file's upload fails once
		result = self.press()
		self.assertEqual(len(result["failed"]), 1)
		self.assertIn("131000", result["failed"][0]["error"])
		self.assertIn("Meta refused", setup.app_templates.summary(result))
		self.assertEqual(len(result["submitted"]), 9)
		again = self.press()
		self.assertEqual(again["submitted"], [result["failed"][0]["template"]])


class TestTemplateForm(TemplatesTestCase):
	def setUp(self):
		super().setUp()
		self.sync()
		self.contact = f.make_contact("5215512340000", user=f.make_user("template-test-contact@example.com"))
		frappe.set_user(self.manager)
		self.addCleanup(frappe.set_user, "Administrator")

	def test_preview_marks_the_parameters_with_examples(self):
		data = templates.preview(self.row("t_invoice_named", "en").name)
		self.assertEqual(data["media_header"], "document")
		self.assertEqual(data["preview"]["buttons"], ["Paid", "Not yet"])
		marked = [s for s in data["body"] if s.get("variable")]
		self.assertEqual(
			[(s["variable"], s["text"]) for s in marked],
			[("invoice", "ACC-SINV-0001"), ("amount", "$1,200.00")],
		)
		self.assertEqual([p["key"] for p in data["fields"]], ["invoice", "amount", "0", "1"])

	def test_send_test_queues_through_the_outbox_and_meta_accepts_it(self):
		name = self.row("t_invoice_named", "en").name
		params = {"body": {"invoice": "ACC-SINV-0042", "amount": "$10.00"}, "buttons": {"0": "paid:42"}}
		queued = templates.send_test(name, self.contact.name, json.dumps(params))["message"]
		frappe.db.commit()  # as the request ends: the send job is enqueued after commit
		frappe.set_user("Administrator")
		f.run_jobs()
		f.settled(self.contact.wa_id)
		row = frappe.get_doc("Chatbot Message", queued)
		self.assertEqual((row.status, row.template), ("Sent", name), row.error_message)
		sent = self.graph.sent_messages()[-1]["template"]
		header = sent["components"][0]["parameters"][0]["document"]
		self.assertIn(header["id"], self.graph.media)
		self.assertEqual(self.graph.media[header["id"]][0], standard.SAMPLE_PDF)

	def test_send_test_refuses_what_meta_would(self):
		name = self.row("t_order_ready", "es").name
		with self.assertRaises(frappe.ValidationError):
			templates.send_test(name, self.contact.name, json.dumps({"body": ["Ana"]}))
		self.assertEqual(f.rows("Outgoing"), [])
