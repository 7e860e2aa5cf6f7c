"""WhatsApp Notifications that cannot be sent: the document is saved anyway, nothing goes out
half-built, and the Error Log and the Notification's "Last Error" say why. What the form refuses
when it is saved. What an uninstall leaves (nothing)."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.notifications import fanout, fields, setup
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.notification_fixture import (
	ORDER_COMPONENTS,
	ORDER_PARAMETERS,
	NotificationTestCase,
)

# the same template without its document header: no PDF in these tests
PLAIN = [component for component in ORDER_COMPONENTS if component["type"] != "HEADER"]


class TestNothingHalfBuilt(NotificationTestCase):
	def error_logs(self, name: str) -> list:
		return frappe.get_all(
			"Error Log",
			filters={"reference_doctype": "Notification", "reference_name": name},
			fields=["method", "error"],
		)

	def assert_nothing_sent(self, order: str):
		f.run_jobs()
		self.assertEqual(frappe.db.get_value("Sales Order", order, "docstatus"), 1, "the order is submitted")
		self.assertEqual(self.messages_about(order), [])
		self.assertEqual(self.graph.sent_messages(), [])

	def test_a_jinja_error_leaves_the_order_submitted_and_says_why(self):
		self.contact("reader", hours_since_they_wrote=1)
		name = self.notification(message="Pedido {{ doc.name }} de {{ doc.customer.upper_case() }}")
		frappe.local.message_log = []
		order = self.submit_order()
		self.assertEqual(frappe.local.message_log, [], "whoever submits sees no error dialog")
		self.assertEqual([j for j in f.queued_jobs() if j.kwargs["method"] == fanout.JOB], [])
		self.assert_nothing_sent(order)
		error = self.last(name, fields.LAST_ERROR)
		self.assertIn(f"Sales Order {order}: The Jinja of the message failed for this document:", error)
		self.assertIn("upper_case", error)
		[log] = self.error_logs(name)
		self.assertIn(f"nothing sent for Sales Order {order}", log.method)

	def test_a_parameter_meta_would_refuse_stops_every_recipient(self):
		"""An empty parameter (the order has no customer PO): neither the contact outside the window
		(the template) nor the one inside it (text) gets anything from this firing."""
		self.contact("reader", hours_since_they_wrote=30)
		self.contact("reader_en", hours_since_they_wrote=1)
		template = self.template("es", PLAIN)
		rows = [
			*ORDER_PARAMETERS[:1],
			{"component": "Body", "parameter": "customer", "value": "{{ doc.po_no or '' }}"},
		]
		rows.append(ORDER_PARAMETERS[2])
		name = self.notification(whatsapp_template=template, whatsapp_parameters=rows)
		order = self.submit_order()
		self.assert_nothing_sent(order)
		error = self.last(name, fields.LAST_ERROR)
		self.assertIn(
			f"wcb_order_{self.run_id} (es): body parameter {{{{customer}}}} is empty: Meta refuses empty parameters",
			error,
		)
		self.assertEqual(len(self.error_logs(name)), 1)

	def test_a_paused_template_sends_nothing_until_it_is_approved_again(self):
		contact = self.contact("reader", hours_since_they_wrote=30)
		template = self.template("es", PLAIN)
		name = self.notification(whatsapp_template=template, whatsapp_parameters=ORDER_PARAMETERS)
		# Meta paused it (its webhook leaves our copy PAUSED)
		self.graph.templates.pause(f"wcb_order_{self.run_id}", "es")
		frappe.db.set_value("Chatbot Template", template, "status", "PAUSED")
		frappe.db.commit()
		order = self.submit_order()
		self.assert_nothing_sent(order)
		self.assertIn(f"Template {template} is PAUSED, not APPROVED", self.last(name, fields.LAST_ERROR))

		self.graph.templates.approve(f"wcb_order_{self.run_id}", "es")
		frappe.db.set_value("Chatbot Template", template, "status", "APPROVED")
		frappe.db.commit()
		again = self.submit_order()
		f.run_jobs()
		[sent] = self.sent_to(contact)
		self.assertEqual(sent["template"]["name"], f"wcb_order_{self.run_id}")
		self.assertEqual(self.last(name, fields.LAST_ERROR), "", "cleared by the next firing that sends")
		self.assertIn(again, self.last(name, fields.LAST_RESULT))

	def test_a_recipient_without_a_contact_is_no_error_for_the_others(self):
		contact = self.contact("reader", hours_since_they_wrote=1)
		name = self.notification(
			recipients=[{"receiver_by_role": "Sales Manager"}, {"receiver_by_document_field": "owner"}]
		)
		order = self.submit_order()  # owned by Administrator: not an address Frappe returns
		f.run_jobs()
		self.assertEqual(len(self.sent_to(contact)), 1)
		self.assertIn(f"{self.users['nocontact']} (no WhatsApp contact)", self.last(name, fields.LAST_RESULT))
		self.assertEqual(self.last(name, fields.LAST_ERROR), "")
		self.assertEqual(self.error_logs(name), [])
		self.assertEqual(len(self.messages_about(order)), 1)


class TestTheFormSaysWhatToChange(NotificationTestCase):
	def assert_refused(self, expected: str, **values):
		with self.assertRaises(frappe.ValidationError) as caught:
			self.notification(**values)
		self.assertIn(expected, str(caught.exception))
		frappe.local.message_log = []

	def test_rows_that_do_not_fit_the_template(self):
		template = self.template("es", PLAIN)
		rows = [
			*ORDER_PARAMETERS,
			{"component": "Body", "parameter": "cliente", "value": "{{ doc.customer }}"},
		]
		self.assert_refused(
			f"wcb_order_{self.run_id} (es) has no body parameter {{{{cliente}}}}",
			whatsapp_template=template,
			whatsapp_parameters=rows,
		)
		self.assert_refused(
			"nothing fills the body parameter {{total}}",
			whatsapp_template=template,
			whatsapp_parameters=ORDER_PARAMETERS[:2],
		)

	def test_the_pdf_needs_a_document_header_and_the_jinja_must_compile(self):
		plain = self.template("es", PLAIN)
		self.assert_refused(
			"has no document header: the PDF cannot go with it",
			whatsapp_template=plain,
			whatsapp_parameters=ORDER_PARAMETERS,
			whatsapp_attach_document=1,
		)
		bad = [
			*ORDER_PARAMETERS[:2],
			{"component": "Body", "parameter": "total", "value": "{{ doc.grand_total "},
		]
		self.assert_refused(
			"The Jinja of the parameter Body total does not compile",
			whatsapp_template=plain,
			whatsapp_parameters=bad,
		)
		self.assert_refused("Write the message", message="")


class TestUninstall(NotificationTestCase):
	def test_uninstall_leaves_no_channel_field_or_enabled_whatsapp_notification(self):
		name = self.notification()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(setup.install)  # the app stays installed for the other tests
		setup.remove()  # what before_uninstall runs
		meta = frappe.get_meta("Notification")
		self.assertNotIn("WhatsApp", meta.get_field("channel").options.split("\n"))
		self.assertEqual(
			frappe.get_all(
				"Custom Field", filters={"dt": "Notification", "fieldname": ("like", "whatsapp%")}
			),
			[],
		)
		self.assertFalse([f for f in meta.fields if f.fieldname.startswith("whatsapp")])
		self.assertFalse(
			frappe.db.exists("Property Setter", {"doc_type": "Notification", "field_name": "channel"})
		)
		self.assertEqual(frappe.db.get_value("Notification", name, "enabled"), 0)
		# a later uninstall-app would also delete any record left with the app's module
		setup.install()
		ours = frappe.get_all(
			"Custom Field", filters={"dt": "Notification", "fieldname": ("like", "whatsapp%")}, pluck="module"
		)
		ours += frappe.get_all(
			"Property Setter", filters={"doc_type": "Notification", "field_name": "channel"}, pluck="module"
		)
		self.assertEqual(len(ours), len(fields.CUSTOM_FIELDS) + 1)
		self.assertEqual(set(ours), {fields.MODULE})
