"""Held messages in a real site: outside the 24-hour window nothing is lost nor sent to Meta to be
refused; one "messages waiting" template (checked by the Graph stand-in against the template Meta
holds) and, when the contact writes or presses its button, everything held in order, first."""

import json

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.channel import held, outbox
from whatsapp_chatbot.tests import factories as f

MX = "5215512345678"
OTHER = "5215598765432"
SETTINGS = "WhatsApp Chatbot Settings"


def silent_for(hours: int):
	return add_to_date(now_datetime(), hours=-hours)


class HeldTestCase(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		self.waiting = f.make_waiting_template(self.graph)
		self.addCleanup(f.forget_template, self.waiting)
		self.contact = f.make_contact(
			MX, user=f.make_user("chatbot-held@example.com"), last_inbound_at=silent_for(25)
		)

	def template(self, name, components, parameter_format="Positional", status="APPROVED", language="es"):
		template = f.make_template(name, language, components, parameter_format, status, graph=self.graph)
		self.addCleanup(f.forget_template, template)
		return template

	def queue(self, *texts, contact=None):
		names = [name for text in texts for name in outbox.queue_text(contact or self.contact, text)]
		frappe.db.commit()
		return names

	def row(self, name):
		return frappe.get_doc("Chatbot Message", name)

	def sent_texts(self):
		return [s["text"]["body"] for s in self.graph.sent_messages() if s["type"] == "text"]

	def sent_templates(self):
		return [s for s in self.graph.sent_messages() if s["type"] == "template"]

	def reply(self, text="hola", wa_id=MX):
		self.post(f.text_webhook(text, wa_id=wa_id))
		f.run_jobs()

	def press(self, payload, wa_id=MX):
		self.post(f.template_button_webhook(payload, "Ver mensajes", wa_id=wa_id))
		f.run_jobs()


class TestHolding(HeldTestCase):
	def test_silent_contact_gets_one_template_and_the_messages_are_held_in_order(self):
		names = self.queue("uno", "dos", "tres")
		f.run_jobs()
		rows = [self.row(name) for name in names]
		self.assertEqual([r.status for r in rows], ["Held"] * 3)
		self.assertEqual([r.text for r in rows], ["uno", "dos", "tres"])  # nothing lost
		self.assertEqual(json.loads(rows[0].request_body)["text"]["body"], "uno")
		self.assertEqual(self.sent_texts(), [])  # no text was tried at Meta (it would refuse: 131047)
		self.assertFalse([r for r in self.graph.requests if r.json and r.json.get("type") == "text"])
		[sent] = self.sent_templates()  # accepted by the stand-in, which checks it against Meta's copy
		name = frappe.db.get_value("Chatbot Template", self.waiting, "template_name")
		self.assertEqual((sent["template"]["name"], sent["template"]["language"]), (name, {"code": "es"}))
		body, button = sent["template"]["components"]
		company = frappe.defaults.get_global_default("company")
		self.assertTrue(company)
		self.assertEqual(
			body["parameters"],
			[
				{"type": "text", "text": "3", "parameter_name": "count"},  # all three, counted when sent
				{"type": "text", "text": company, "parameter_name": "company"},
			],
		)
		self.assertEqual(
			button,
			{
				"type": "button",
				"sub_type": "quick_reply",
				"index": "0",
				"parameters": [{"type": "payload", "payload": f"wcb-release:{self.contact.name}"}],
			},
		)
		template_row = frappe.get_doc("Chatbot Message", {"wamid": sent["_wamid"]})
		self.assertEqual((template_row.message_type, template_row.template), ("template", self.waiting))
		self.assertIn("Tienes 3 mensajes nuevos de", template_row.text)
		self.assertIn(template_row.name, rows[0].error_message)  # why it waits, and what was done
		self.assertIn("24-hour", rows[0].error_message)

	def test_the_waiting_template_goes_in_the_contacts_language_when_meta_approved_it(self):
		from whatsapp_chatbot.message_templates import standard

		name = frappe.db.get_value("Chatbot Template", self.waiting, "template_name")
		english = f.make_template(
			name, "en", standard.definition(standard.WAITING, "en")["components"], "Named", graph=self.graph
		)
		self.addCleanup(f.forget_template, english)
		self.contact.db_set("language", "en")
		frappe.db.commit()
		self.queue("one")
		f.run_jobs()
		[sent] = self.sent_templates()
		self.assertEqual(sent["template"]["language"], {"code": "en"})  # the Settings name the Spanish one

	def test_a_second_message_while_the_template_is_pending_sends_no_second_template(self):
		self.queue("uno")
		f.run_jobs()
		[later] = self.queue("dos")
		f.run_jobs()
		self.assertEqual(self.row(later).status, "Held")
		self.assertEqual(len(self.sent_templates()), 1)
		# once the contact has written and gone silent again, a new template may go
		self.reply()
		self.contact.db_set("last_inbound_at", silent_for(30))
		frappe.db.commit()
		self.queue("tres")
		f.run_jobs()
		self.assertEqual(len(self.sent_templates()), 2)

	def test_meta_saying_the_window_is_closed_holds_too(self):
		self.contact.db_set("last_inbound_at", silent_for(23))  # our clock says open; Meta disagrees
		frappe.db.commit()
		self.graph.fail_next(131047, path="/messages")
		[name] = self.queue("resultado")
		f.run_jobs()
		row = self.row(name)
		self.assertEqual((row.status, row.error_code, row.attempts), ("Held", "131047", 1))
		self.assertIn("Re-engagement message", row.error_message)
		self.assertEqual(len(self.sent_templates()), 1)
		# believed over our clock: a later send to the contact does not try it again…
		outbox.queue_template(self.contact, self.waiting, {"body": {"count": "1", "company": "X"}})
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual((self.row(name).status, self.row(name).attempts), ("Held", 1))
		# …until the contact writes
		self.reply()
		self.assertEqual((self.row(name).status, self.row(name).attempts), ("Sent", 2))
		self.assertEqual(self.sent_texts()[0], "resultado")

	def test_a_failed_status_saying_the_window_was_closed_holds_the_message(self):
		self.contact.db_set("last_inbound_at", silent_for(23))
		frappe.db.commit()
		[name] = self.queue("resultado")
		f.run_jobs()
		wamid = self.row(name).wamid
		self.post(f.status_webhook(wamid, "failed", MX, error_code=131047))  # Meta, after the fact
		row = self.row(name)
		self.assertEqual((row.status, row.error_code), ("Held", "131047"))
		f.run_jobs()
		self.assertEqual(len(self.sent_templates()), 1)
		self.reply()
		self.assertEqual(self.sent_texts()[:2], ["resultado", "resultado"])  # the refused one, again
		self.assertEqual(self.row(name).status, "Sent")

	def test_templates_are_never_held(self):
		name = outbox.queue_template(self.contact, self.waiting, {"body": {"count": "1", "company": "X"}})
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(self.row(name).status, "Sent")  # a template may open the window
		self.assertEqual(len(self.sent_templates()), 1)  # and it is no reason for a waiting template

	def test_terminal_messages_are_never_held(self):
		question = frappe.get_doc(
			{
				"doctype": "Chatbot Message",
				"direction": "Incoming",
				"status": "Answered",
				"channel": "Terminal",
				"contact": self.contact.name,
				"wamid": f"terminal.{frappe.generate_hash(length=8)}",
			}
		).insert(ignore_permissions=True)
		[name] = outbox.queue_text(self.contact, "desde la terminal", answers=question.name)
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(self.row(name).status, "Sent")
		self.assertEqual(self.graph.sent_messages(), [])


class TestNoUsableTemplate(HeldTestCase):
	def test_no_waiting_template_keeps_them_held_with_the_reason(self):
		frappe.db.set_single_value(SETTINGS, "waiting_template", None)
		frappe.db.commit()
		[name] = self.queue("uno")
		f.run_jobs()
		row = self.row(name)
		self.assertEqual(row.status, "Held")
		self.assertIn("no template is set as Waiting Template", row.error_message)
		self.assertEqual(self.graph.requests, [])  # no Graph call at all
		self.reply()
		self.assertEqual(self.row(name).status, "Sent")
		self.assertEqual(self.sent_texts()[0], "uno")

	def test_a_paused_waiting_template_is_not_tried(self):
		frappe.db.set_value("Chatbot Template", self.waiting, "status", "PAUSED")
		frappe.db.commit()
		[name] = self.queue("uno")
		f.run_jobs()
		row = self.row(name)
		self.assertEqual(row.status, "Held")
		self.assertIn("PAUSED", row.error_message)
		self.assertEqual(self.graph.requests, [])

	def test_a_template_the_app_cannot_fill_says_which_parameter(self):
		odd = self.template(
			f"wcb_odd_{frappe.generate_hash(length=8)}",
			[{"type": "BODY", "text": "Hola, tu pedido {{pedido}} espera.", "example": {}}],
			"Named",
		)
		frappe.db.set_single_value(SETTINGS, "waiting_template", odd)
		frappe.db.commit()
		[name] = self.queue("uno")
		f.run_jobs()
		self.assertIn("{{pedido}}", self.row(name).error_message)
		self.assertEqual(self.graph.requests, [])


class TestRelease(HeldTestCase):
	def test_a_reply_releases_everything_in_order_before_the_answer(self):
		names = self.queue("uno", "dos", "tres")
		f.run_jobs()
		self.graph.reset()
		self.reply("hola")
		answer = f.rows("Outgoing", in_reply_to_message=("is", "set"))[-1]
		self.assertEqual(self.sent_texts(), ["uno", "dos", "tres", answer.text])
		self.assertEqual([self.row(n).status for n in names], ["Sent"] * 3)
		self.assertEqual([self.row(n).attempts for n in names], [1, 1, 1])  # each once

	def test_the_button_releases_and_is_no_question(self):
		names = self.queue("uno", "dos")
		f.run_jobs()
		[template] = self.sent_templates()
		payload = template["template"]["components"][1]["parameters"][0]["payload"]
		self.graph.reset()
		self.press(payload)
		self.assertEqual(self.sent_texts(), ["uno", "dos"])  # and no answer to the press
		[pressed] = f.rows("Incoming", message_type="button")
		self.assertEqual(pressed.status, "Answered")
		self.assertIn("held messages released", pressed.error_message)
		self.assertEqual([self.row(n).status for n in names], ["Sent", "Sent"])

	def test_another_contacts_or_a_forged_payload_releases_nothing_of_theirs(self):
		other = f.make_contact(
			OTHER, user=f.make_user("chatbot-held-2@example.com"), last_inbound_at=silent_for(30)
		)
		[theirs] = self.queue("para otro", contact=other)
		[mine] = self.queue("para mí")
		f.run_jobs()
		self.graph.reset()
		for payload in (held.release_payload(other), "wcb-release:nobody"):
			self.press(payload)
		self.assertEqual(self.row(theirs).status, "Held")  # only the other contact writing releases it
		self.assertFalse([s for s in self.graph.sent_messages() if s.get("to") == OTHER])
		self.assertEqual(
			[p.status for p in f.rows("Incoming", message_type="button")], ["Ignored", "Ignored"]
		)
		# the presser wrote, so their own window is open: what waited for them goes out
		self.assertEqual(self.row(mine).status, "Sent")

	def test_the_sweep_never_sends_held_messages(self):
		from whatsapp_chatbot.jobs.sweep import sweep

		[name] = self.queue("uno")
		f.run_jobs()
		frappe.db.set_value(
			"Chatbot Message",
			name,
			"modified",
			add_to_date(now_datetime(), minutes=-30),
			update_modified=False,
		)
		frappe.db.commit()
		self.assertEqual(sweep()["outgoing"], 0)
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(self.row(name).status, "Held")
		self.assertEqual(self.sent_texts(), [])

	def test_links_to_a_document_and_a_notification_are_kept(self):
		[name] = outbox.queue_text(
			self.contact, "uno", reference_doctype="User", reference_name="Administrator"
		)
		self.assertEqual(
			frappe.db.get_value("Chatbot Message", name, ["reference_doctype", "reference_name"]),
			("User", "Administrator"),
		)
