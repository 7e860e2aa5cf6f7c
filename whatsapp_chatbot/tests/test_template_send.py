"""Sending Meta templates in a real site: checked against the synced Chatbot Template before anything
is queued, a PDF header uploaded as media (never a public link), the Graph stand-in checking every
send against the template Meta holds, and Meta's template errors recorded with what to do, once."""

import json

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.channel import errors, outbox
from whatsapp_chatbot.channel.template_send import TemplateNotUsable
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.media_samples import text_pdf

MX = "5215512345678"
PDF = text_pdf([["Sales Order SO-0042", "Ana", "MXN 1,250.00"]])  # a real PDF (Frappe reads it)
ORDER_READY = [
	{"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::aGVhZGVy"]}},
	{
		"type": "BODY",
		"text": "Hola {{customer}}, tu pedido {{order}} está listo.",
		"example": {
			"body_text_named_params": [
				{"param_name": "customer", "example": "Ana"},
				{"param_name": "order", "example": "SO-0001"},
			]
		},
	},
	{"type": "FOOTER", "text": "Test Company"},
	{
		"type": "BUTTONS",
		"buttons": [
			{"type": "QUICK_REPLY", "text": "Gracias"},
			{
				"type": "URL",
				"text": "Ver pedido",
				"url": "https://shop.example/o/{{1}}",
				"example": ["https://shop.example/o/SO-0001"],
			},
		],
	},
]
GOOD = {"body": {"customer": "Ana", "order": "SO-0042"}, "buttons": {"0": "ok:SO-0042", "1": "SO-0042"}}
REMINDER = [
	{
		"type": "BODY",
		"text": "Recordatorio: la factura {{1}} vence el {{2}}.",
		"example": {"body_text": [["SINV-0001", "1 de mayo"]]},
	}
]


class TemplateSendTestCase(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		self.contact = f.make_contact(
			MX,
			user=f.make_user("chatbot-templates@example.com"),
			last_inbound_at=add_to_date(now_datetime(), hours=-25),  # only templates reach them
		)

	def template(self, components, parameter_format="Positional", status="APPROVED", at_meta=True):
		name = f"wcb_t_{frappe.generate_hash(length=8)}"
		template = f.make_template(
			name, "es", components, parameter_format, status, graph=self.graph if at_meta else None
		)
		self.addCleanup(f.forget_template, template)
		return template

	def row(self, name):
		return frappe.get_doc("Chatbot Message", name)

	def template_sends(self):
		return [r for r in self.graph.requests if r.json and r.json.get("type") == "template"]


class TestSending(TemplateSendTestCase):
	def test_named_template_with_a_pdf_header_reaches_a_contact_outside_the_window(self):
		template = self.template(ORDER_READY, "Named")
		name = outbox.queue_template(
			self.contact,
			template,
			GOOD,
			document=("SO-0042.pdf", PDF, "application/pdf"),
			reference_doctype="User",
			reference_name="Administrator",
		)
		frappe.db.commit()
		self.assertEqual(self.graph.requests, [])  # the row first; Meta is called by the send job
		f.run_jobs()
		row = self.row(name)
		[sent] = self.graph.sent_messages()  # the stand-in checked it against the template it holds
		self.assertEqual((row.status, row.wamid, row.attempts), ("Sent", sent["_wamid"], 1))
		self.assertEqual((row.message_type, row.template), ("template", template))
		self.assertEqual((row.reference_doctype, row.reference_name), ("User", "Administrator"))
		self.assertIn("Hola Ana, tu pedido SO-0042 está listo.", row.text)
		header, body, quick, url = sent["template"]["components"]
		document = header["parameters"][0]["document"]
		self.assertNotIn("link", document)  # uploaded, not a public link
		self.assertEqual(document["filename"], "SO-0042.pdf")
		self.assertEqual(self.graph.media[document["id"]], (PDF, "application/pdf"))
		self.assertEqual(
			body["parameters"],
			[
				{"type": "text", "text": "Ana", "parameter_name": "customer"},
				{"type": "text", "text": "SO-0042", "parameter_name": "order"},
			],
		)
		self.assertEqual(quick["parameters"], [{"type": "payload", "payload": "ok:SO-0042"}])
		self.assertEqual(url["parameters"], [{"type": "text", "text": "SO-0042"}])
		[file] = frappe.get_all(
			"File",
			filters={"attached_to_doctype": "Chatbot Message", "attached_to_name": name},
			fields=["file_name", "is_private"],
		)
		self.assertEqual((file.file_name, file.is_private), ("SO-0042.pdf", 1))
		self.assertEqual(
			json.loads(row.request_body), {k: v for k, v in sent.items() if k in ("type", "template")}
		)

	def test_a_template_synced_from_meta_goes_out_as_meta_holds_it(self):
		"""The whole way: Meta holds a named template with a document header, Sync from Meta reads it
		(not a row written by the test), and a contact outside the window gets it with the PDF."""
		from whatsapp_chatbot.message_templates import sync

		name = f"wcb_t_{frappe.generate_hash(length=8)}"
		self.graph.templates.add_template(
			f.BUSINESS_ACCOUNT_ID, name, "es", ORDER_READY, parameter_format="NAMED"
		)
		template = f"{name}-es"
		self.addCleanup(f.forget_template, template)
		sync.sync_templates()
		frappe.db.commit()
		self.assertEqual(
			frappe.db.get_value("Chatbot Template", template, ["status", "parameter_format"]),
			("APPROVED", "Named"),
		)
		queued = outbox.queue_template(
			self.contact, template, GOOD, document=("SO-0042.pdf", PDF, "application/pdf")
		)
		frappe.db.commit()
		f.run_jobs()
		[sent] = self.graph.sent_messages()  # accepted by the stand-in's check against Meta's copy
		self.assertEqual((self.row(queued).status, sent["template"]["name"]), ("Sent", name))
		document = sent["template"]["components"][0]["parameters"][0]["document"]
		self.assertEqual(self.graph.media[document["id"]], (PDF, "application/pdf"))

	def test_one_file_for_many_recipients_is_uploaded_once_and_sent_by_its_id(self):
		template = self.template(ORDER_READY, "Named")
		run = frappe.generate_hash(length=8)
		order_pdf = text_pdf([[f"Purchase Order PO-{run}", "MXN 9,900.00"]])
		other_pdf = text_pdf([[f"Purchase Order PO-{run}-2", "MXN 100.00"]])
		recipients = [self.contact] + [
			f.make_contact(
				f"52155500{n}{int(run, 16) % 10000:04d}",
				user=f.make_user(f"chatbot-templates-{n}@example.com"),
				last_inbound_at=add_to_date(now_datetime(), hours=-25),
			)
			for n in (1, 2, 3)
		]
		for contact in recipients:
			outbox.queue_template(
				contact, template, GOOD, document=(f"PO-{run}.pdf", order_pdf, "application/pdf")
			)
		outbox.queue_template(
			self.contact, template, GOOD, document=(f"PO-{run}.pdf", other_pdf, "application/pdf")
		)
		frappe.db.commit()
		f.run_jobs()

		uploads = [r for r in self.graph.requests if r.path.endswith("/media")]
		self.assertEqual(sorted(r.form["file"][0] for r in uploads), sorted([order_pdf, other_pdf]))
		ids = [
			sent["template"]["components"][0]["parameters"][0]["document"]["id"]
			for sent in self.graph.sent_messages()
		]
		self.assertEqual(len(ids), 5)  # every recipient got it (the stand-in knows every id it was sent)
		self.assertEqual(sorted(self.graph.media[i][0] for i in ids), sorted([order_pdf] * 4 + [other_pdf]))
		self.assertEqual(len(set(ids)), 2, "one id for each file, whoever it goes to")

	def test_the_same_key_queues_once(self):
		template = self.template(REMINDER)
		params = {"body": ["SINV-0007", "3 de junio"]}
		first = outbox.queue_template(self.contact, template, params, key="reminder:SINV-0007")
		second = outbox.queue_template(self.contact, template, params, key="reminder:SINV-0007")
		self.assertEqual(first, second)


class TestRefusedBeforeTheGraphCall(TemplateSendTestCase):
	def assert_refused(self, template, params, *expected, document=None):
		before = frappe.db.count("Chatbot Message")
		with self.assertRaises(TemplateNotUsable) as caught:
			outbox.queue_template(self.contact, template, params, document=document)
		for words in expected:
			self.assertIn(words, str(caught.exception))
		self.assertEqual(frappe.db.count("Chatbot Message"), before)  # nothing queued
		self.assertEqual(self.graph.requests, [])  # and no Graph call
		return str(caught.exception)

	def test_parameters_that_do_not_fit(self):
		template = self.template(ORDER_READY, "Named")
		pdf = ("SO-1.pdf", PDF, "application/pdf")
		message = self.assert_refused(
			template,
			{**GOOD, "body": {"customer": "Ana", "ordr": "SO-1"}},
			"missing parameter {{order}}",
			"has no parameter {{ordr}}",
			document=pdf,
		)
		self.assertIn("What it needs:", message)  # and what the template takes, from its definition
		self.assert_refused(
			template, {**GOOD, "body": {"customer": "Ana\nB", "order": "x"}}, "line break", document=pdf
		)
		self.assert_refused(
			template, {**GOOD, "body": {"customer": "", "order": "x"}}, "is empty", document=pdf
		)
		self.assert_refused(
			template, {**GOOD, "body": {"customer": "a     b", "order": "x"}}, "four spaces", document=pdf
		)
		self.assert_refused(template, GOOD, "the template's header is a document: attach the file")
		self.assert_refused(template, {**GOOD, "buttons": {"0": "ok"}}, "needs its URL suffix", document=pdf)
		self.assert_refused(template, {**GOOD, "buttons": {"1": "x", "5": "y"}}, "no button 5", document=pdf)
		picture = self.template([{"type": "HEADER", "format": "IMAGE"}, *REMINDER])
		self.assert_refused(picture, {"body": ["a", "b"]}, "must be image/jpeg or image/png", document=pdf)
		reminder = self.template(REMINDER)
		self.assert_refused(reminder, {"body": ["SINV-1"]}, "takes 2 parameters, 1 were given")
		# a body alone takes parameters up to 32768 characters; beside a header or buttons, 1024
		self.assert_refused(reminder, {"body": ["SINV-1", "x" * 32769]}, "the limit is 32768")
		self.assert_refused(
			template,
			{**GOOD, "body": {"customer": "x" * 1025, "order": "x"}},
			"the limit is 1024",
			document=pdf,
		)
		self.assert_refused(
			reminder, {"body": ["a", "b"]}, "no document, image or video header", document=pdf
		)

	def test_templates_meta_would_refuse(self):
		self.assert_refused("no_such_template-es", {}, "There is no Chatbot Template")
		for status, advice in (
			("PENDING", "still reviewing"),
			("PAUSED", "resumes after 3 h"),
			("DISABLED", "create a new template"),
			("REJECTED", "submit it again"),
		):
			with self.subTest(status=status):
				template = self.template(REMINDER, status=status, at_meta=False)
				self.assert_refused(template, {"body": ["a", "b"]}, f"is {status}, not APPROVED", advice)
		gone = self.template(REMINDER, at_meta=False)
		frappe.db.set_value("Chatbot Template", gone, "missing_at_meta", 1)
		self.assert_refused(gone, {"body": ["a", "b"]}, "not found at Meta")

	def test_paused_after_queueing_is_refused_by_the_send_job(self):
		template = self.template(REMINDER)
		name = outbox.queue_template(self.contact, template, {"body": ["SINV-1", "1 de mayo"]})
		frappe.db.set_value("Chatbot Template", template, "status", "PAUSED")
		frappe.db.commit()
		f.run_jobs()
		row = self.row(name)
		self.assertEqual((row.status, row.attempts or 0), ("Failed", 0))
		self.assertIn("PAUSED", row.error_message)
		self.assertEqual(self.template_sends(), [])


class TestMetaTemplateErrors(TemplateSendTestCase):
	def send(self, template, params):
		name = outbox.queue_template(self.contact, template, params)
		frappe.db.commit()
		f.run_jobs()
		return self.row(name)

	def assert_recorded(self, row, code):
		self.assertEqual((row.status, row.error_code, row.attempts), ("Failed", str(code), 1))
		self.assertIn(errors.ADVICE[code], row.error_message)  # what to do, with Meta's own words

	def test_every_template_error_code_is_recorded_with_its_advice_and_never_retried(self):
		template = self.template(REMINDER)
		for code in (132000, 132001, 132005, 132007, 132008, 132012, 132015, 132016, 131049, 131050):
			with self.subTest(code=code):
				self.graph.reset()
				self.graph.fail_next(code, path="/messages")
				row = self.send(template, {"body": ["SINV-1", "1 de mayo"]})
				self.assert_recorded(row, code)
				self.assertEqual(len(self.template_sends()), 1)  # one attempt, no retry
				frappe.db.set_value("Chatbot Template", template, "status", "APPROVED")  # after 132015/6
				frappe.db.commit()

	def test_paused_at_meta_marks_the_template_and_the_next_send_is_refused_first(self):
		template = self.template(REMINDER)
		meta_name = frappe.db.get_value("Chatbot Template", template, "template_name")
		self.graph.templates.pause(meta_name, "es")  # Meta paused it; our copy does not know yet
		row = self.send(template, {"body": ["SINV-1", "1 de mayo"]})
		self.assert_recorded(row, 132015)
		self.assertEqual(frappe.db.get_value("Chatbot Template", template, "status"), "PAUSED")
		with self.assertRaises(TemplateNotUsable):
			outbox.queue_template(self.contact, template, {"body": ["SINV-2", "2 de mayo"]})
		self.assertEqual(len(self.template_sends()), 1)
		for _ in range(2):
			self.graph.templates.pause(meta_name, "es")  # the third pause disables it
		frappe.db.set_value("Chatbot Template", template, "status", "APPROVED")  # a stale sync
		frappe.db.commit()
		row = self.send(template, {"body": ["SINV-3", "3 de mayo"]})
		self.assert_recorded(row, 132016)
		self.assertEqual(frappe.db.get_value("Chatbot Template", template, "status"), "DISABLED")

	def test_gone_at_meta_and_a_stale_definition_come_back_as_meta_says(self):
		gone = self.template(REMINDER)
		self.graph.templates.remove(
			f.BUSINESS_ACCOUNT_ID, frappe.db.get_value("Chatbot Template", gone, "template_name"), "es"
		)
		self.assert_recorded(self.send(gone, {"body": ["SINV-1", "1 de mayo"]}), 132001)
		# Meta's copy gained a parameter our last sync did not see
		stale = self.template(REMINDER)
		held = self.graph.templates.get(frappe.db.get_value("Chatbot Template", stale, "template_name"), "es")
		held["components"][0]["text"] += " Total: {{3}}."
		self.assert_recorded(self.send(stale, {"body": ["SINV-1", "1 de mayo"]}), 132000)

	def test_a_failed_status_webhook_carries_the_advice_and_marks_the_template(self):
		template = self.template(REMINDER)
		rows = [self.send(template, {"body": [f"SINV-{i}", "1 de mayo"]}) for i in (1, 2)]
		self.assertEqual([r.status for r in rows], ["Sent", "Sent"])
		self.post(f.status_webhook(rows[0].wamid, "failed", MX, error_code=131050))
		self.post(f.status_webhook(rows[1].wamid, "failed", MX, error_code=132015))
		first, second = (self.row(r.name) for r in rows)
		self.assertEqual((first.status, first.error_code), ("Failed", "131050"))
		self.assertIn(errors.ADVICE[131050], first.error_message)
		self.assertIn(errors.ADVICE[132015], second.error_message)
		self.assertEqual(frappe.db.get_value("Chatbot Template", template, "status"), "PAUSED")
