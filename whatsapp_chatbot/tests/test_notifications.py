"""Frappe's own Notification, on the WhatsApp channel, fired by a real Sales Order's Submit.

The order is submitted as in the Desk, the notification's job and the send jobs run as a worker
runs them (factories.run_jobs), and what reached WhatsApp is what the Graph stand-in received (it
checks every template send against the template Meta holds).
"""

from __future__ import annotations

import frappe

from whatsapp_chatbot.notifications import fanout, fields
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.notification_fixture import ORDER_PARAMETERS, NotificationTestCase
from whatsapp_chatbot.tests.processes import DevServer

# the app's own chatbot_document template (message_templates/standard.py), as Meta approved it
APP_DOCUMENT_COMPONENTS = [
	{"type": "HEADER", "format": "DOCUMENT"},
	{"type": "BODY", "text": "Aquí tienes {{document}}: {{details}}. El archivo va adjunto a este mensaje."},
]


class TestWhatsAppChannel(NotificationTestCase):
	def test_the_channel_and_its_fields_are_on_the_form_once(self):
		from frappe.model.base_document import get_controller

		from whatsapp_chatbot.notifications import setup
		from whatsapp_chatbot.notifications.notification import WhatsAppNotification

		setup.install()  # what every migrate runs: nothing doubles
		meta = frappe.get_meta("Notification")
		self.assertEqual(meta.get_field("channel").options.split("\n").count("WhatsApp"), 1)
		for fieldname in fields.fieldnames():
			self.assertEqual(
				frappe.db.count("Custom Field", {"dt": "Notification", "fieldname": fieldname}), 1
			)
		self.assertEqual(meta.get_field(fields.TEMPLATE).options, "Chatbot Template")
		self.assertEqual(meta.get_field(fields.PARAMETERS).options, fields.PARAMETER_DOCTYPE)
		self.assertTrue(issubclass(get_controller("Notification"), WhatsAppNotification))
		self.assertTrue(setup.override_in_place())

	def test_inside_the_window_the_message_goes_as_text_to_readers_only(self):
		reader = self.contact("reader", hours_since_they_wrote=1)
		restricted = self.contact("restricted", hours_since_they_wrote=1)
		name = self.notification()
		# the restricted sales manager holds the role, but not this customer's documents
		order = self.submit_order()
		self.assertFalse(
			frappe.has_permission(
				"Sales Order", "read", frappe.get_doc("Sales Order", order), user=self.users["restricted"]
			)
		)
		self.assertEqual(f.rows("Outgoing"), [], "nothing is queued inside the save")
		f.run_jobs()

		sent = self.sent_to(reader)
		self.assertEqual(len(sent), 1, self.graph.sent_messages())
		self.assertEqual(sent[0]["type"], "text")
		self.assertEqual(
			sent[0]["text"]["body"], f"Pedido *{order}* de {self.facts.customers[0]}\n\n• Total: 500.0"
		)
		self.assertEqual(self.sent_to(restricted), [])

		[message] = self.messages_about(order)
		self.assertEqual((message.status, message.contact, message.notification), ("Sent", reader.name, name))
		result = self.last(name, fields.LAST_RESULT)
		self.assertIn("1 message(s) queued for 1 contact(s)", result)
		self.assertIn(f"{self.users['restricted']} (may not read this document)", result)
		self.assertIn(f"{self.users['nocontact']} (no WhatsApp contact)", result)
		self.assertEqual(self.last(name, fields.LAST_ERROR), "")

		# the order's timeline links the message (its text stays behind Chatbot Message's permissions)
		[comment] = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "Sales Order", "reference_name": order, "comment_type": "Info"},
			fields=["content"],
		)
		self.assertIn(f'href="/app/chatbot-message/{message.name}"', comment.content)
		self.assertNotIn(self.facts.customers[0], comment.content)

	def test_outside_the_window_the_template_goes_with_the_order_pdf(self):
		self.print_from_a_served_site()
		spanish = self.contact("reader", hours_since_they_wrote=30, language="es")
		english = self.contact("reader_en", hours_since_they_wrote=30, language="en")
		template = self.template("es")
		self.template("en")  # the same template in English: the English contact gets that one
		name = self.notification(
			whatsapp_template=template, whatsapp_attach_document=1, whatsapp_parameters=ORDER_PARAMETERS
		)
		order = self.submit_order()
		f.run_jobs()

		for contact, language in ((spanish, "es"), (english, "en")):
			[sent] = self.sent_to(contact)
			self.assertEqual(sent["type"], "template")
			self.assertEqual(sent["template"]["name"], f"wcb_order_{self.run_id}")
			self.assertEqual(sent["template"]["language"]["code"], language)
			header, body = sent["template"]["components"]
			document = header["parameters"][0]["document"]
			self.assertEqual(document["filename"], f"{order}.pdf")
			self.assertTrue(self.graph.media[document["id"]][0].startswith(b"%PDF"))
			values = {p["parameter_name"]: p["text"] for p in body["parameters"]}
			self.assertEqual(values["order"], order)
			self.assertEqual(values["customer"], self.facts.customers[0])
			self.assertIn("500.00", values["total"])
			self.assertEqual(
				values["details"], f"Pedido *{order}* de {self.facts.customers[0]} · • Total: 500.0"
			)
		messages = self.messages_about(order)
		self.assertEqual({m.status for m in messages}, {"Sent"})
		self.assertEqual({m.template for m in messages}, {template, f"wcb_order_{self.run_id}-en"})
		self.assertEqual(self.last(name, fields.LAST_ERROR), "")

	def test_the_settings_template_needs_no_rows(self):
		"""No template on the form: the Settings' notification template (the app's chatbot_document
		shape) is filled by the standard values, {{document}} in the template's language."""
		self.print_from_a_served_site()
		contact = self.contact("reader", hours_since_they_wrote=30, language="es")
		template = self.template("es", APP_DOCUMENT_COMPONENTS)
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "notification_template", template)
		frappe.db.commit()
		name = self.notification(whatsapp_attach_document=1)
		order = self.submit_order()
		f.run_jobs()
		sent = self.sent_to(contact)
		self.assertEqual(len(sent), 1, (self.last(name, fields.LAST_ERROR), self.messages_about(order)))
		[sent] = sent
		values = {p["parameter_name"]: p["text"] for p in sent["template"]["components"][1]["parameters"]}
		self.assertEqual(values["document"], f"Orden de venta (OV) {order}")
		self.assertEqual(values["details"], f"Pedido *{order}* de {self.facts.customers[0]} · • Total: 500.0")

	def print_from_a_served_site(self):
		server = DevServer().start()  # printing fetches the print styles from the site's URL
		self.addCleanup(server.stop)
		previous = frappe.local.conf.host_name
		frappe.local.conf.host_name = server.base_url
		self.addCleanup(lambda: setattr(frappe.local.conf, "host_name", previous))

	def test_a_job_run_twice_queues_nothing_twice(self):
		self.contact("reader", hours_since_they_wrote=1)
		self.notification()
		order = self.submit_order()
		[job] = [j for j in f.queued_jobs() if j.kwargs["method"] == fanout.JOB]
		self.assertEqual(job.id.split("::")[-1], f"whatsapp_chatbot:notify:{job.kwargs['kwargs']['firing']}")
		fanout.run(**job.kwargs["kwargs"])
		frappe.db.commit()
		fanout.run(**job.kwargs["kwargs"])  # a retried job, or the same firing enqueued again
		frappe.db.commit()
		self.assertEqual(len(self.messages_about(order)), 1)
		self.assertEqual(
			frappe.db.count(
				"Comment",
				{"reference_name": order, "comment_type": "Info", "content": ("like", "%chatbot-message%")},
			),
			1,
		)

	def test_other_channels_are_frappes_own(self):
		"""The override hands every other channel to Frappe: a System Notification still arrives."""
		name = self.notification(channel="System Notification", subject="Pedido {{ doc.name }} (system)")
		order = self.submit_order()
		# Frappe makes the logs at once under tests (enqueue(now=in_test))
		logs = frappe.get_all(
			"Notification Log",
			filters={
				"document_type": "Sales Order",
				"document_name": order,
				"for_user": self.users["reader"],
			},
			pluck="subject",
		)
		self.assertEqual(logs, [f"Pedido {order} (system)"])
		self.assertEqual(self.messages_about(order), [])
		self.assertEqual(self.last(name, fields.LAST_RESULT), "")
		frappe.db.delete("Notification Log", {"document_type": "Sales Order", "document_name": order})
		frappe.db.commit()
