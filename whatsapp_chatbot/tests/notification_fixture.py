"""What the WhatsApp Notification tests share: sales managers with contacts, a Notification on the
Sales Order's Submit, a real Sales Order of the test company, and the cleanup of all of it.

Everything is named with a suffix unique to the run and removed after: the Notifications, the
orders (cancelled and deleted), their comments, the Error Logs about the Notifications, the
templates and the User Permission.
"""

from __future__ import annotations

import zlib

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.notifications import fields
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data, sales_order

ROLE = "Sales Manager"
# a named template with the order's PDF as its document header, as a company would have approved
ORDER_COMPONENTS = [
	{"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::cGRm"]}},
	{
		"type": "BODY",
		"text": "Nuevo pedido {{order}} de {{customer}}, total {{total}}. Detalle: {{details}}. Gracias.",
		"example": {
			"body_text_named_params": [
				{"param_name": "order", "example": "SAL-ORD-0001"},
				{"param_name": "customer", "example": "Acme"},
				{"param_name": "total", "example": "$ 100.00"},
				{"param_name": "details", "example": "Pedido listo"},
			]
		},
	},
]
ORDER_PARAMETERS = [
	{"component": "Body", "parameter": "order", "value": "{{ doc.name }}"},
	{"component": "Body", "parameter": "customer", "value": "{{ doc.customer_name }}"},
	{"component": "Body", "parameter": "total", "value": "{{ doc.get_formatted('grand_total') }}"},
]
MESSAGE = "<p>Pedido <b>{{ doc.name }}</b> de {{ doc.customer }}</p>\n<ul><li>Total: {{ doc.grand_total }}</li></ul>"


class NotificationTestCase(f.ChatbotTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.facts = make_erpnext_data()
		cls.run_id = frappe.generate_hash(length=6)
		cls.users = {
			kind: f.make_chat_user(f"wcb-notify-{kind}-{cls.run_id}@example.com", (ROLE,), cls.facts.company)
			for kind in ("reader", "reader_en", "restricted", "nocontact")
		}
		# the restricted manager may only see Globex's documents: the order is Acme's
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": cls.users["restricted"],
				"allow": "Customer",
				"for_value": cls.facts.customers[1],
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		cls.orders: list[str] = []

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for order in cls.orders:
			doc = frappe.get_doc("Sales Order", order)
			if doc.docstatus == 1:
				doc.cancel()
			# the naming series gives a deleted last order's name to the next one: its history goes too
			for doctype in ("Comment", "Version"):
				frappe.db.delete(
					doctype,
					{
						"ref_doctype" if doctype == "Version" else "reference_doctype": "Sales Order",
						"docname" if doctype == "Version" else "reference_name": order,
					},
				)
			frappe.delete_doc("Sales Order", order, force=True, ignore_permissions=True)
		frappe.db.delete("User Permission", {"user": cls.users["restricted"]})
		frappe.db.commit()
		super().tearDownClass()  # removes the contacts that link to the users first
		for user in cls.users.values():
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		self.notifications: list[str] = []
		self.templates: list[str] = []
		self.addCleanup(self._forget)

	def _forget(self):
		frappe.db.rollback()
		for name in self.notifications:
			frappe.db.delete("Error Log", {"reference_doctype": "Notification", "reference_name": name})
			frappe.delete_doc("Notification", name, force=True, ignore_permissions=True)
		frappe.cache.hdel("notifications", "Sales Order")
		for name in self.templates:
			# Meta's side too: the next test holds its own template under the same name
			row = frappe.db.get_value("Chatbot Template", name, ["template_name", "language"], as_dict=True)
			if row:
				self.graph.templates.remove(f.BUSINESS_ACCOUNT_ID, row.template_name, row.language)
			if frappe.db.get_single_value("WhatsApp Chatbot Settings", "notification_template") == name:
				frappe.db.set_single_value("WhatsApp Chatbot Settings", "notification_template", None)
			f.forget_template(name)
		frappe.db.commit()

	# -- fixtures ----------------------------------------------------------------------------

	def contact(self, kind: str, hours_since_they_wrote: float, language: str = "es"):
		wa_id = f"52155{zlib.crc32(f'{self.run_id}:{kind}'.encode()) % 10**8:08d}"
		return f.make_contact(
			wa_id,
			user=self.users[kind],
			language=language,
			last_inbound_at=add_to_date(now_datetime(), hours=-hours_since_they_wrote),
		)

	def template(self, language: str = "es", components=ORDER_COMPONENTS) -> str:
		name = f.make_template(f"wcb_order_{self.run_id}", language, components, "Named", graph=self.graph)
		self.templates.append(name)
		return name

	def notification(self, **values) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"WCB Order Submitted {self.run_id} {len(self.notifications)}",
				"subject": "Pedido {{ doc.name }}",
				"document_type": "Sales Order",
				"event": "Submit",
				"channel": fields.CHANNEL,
				"enabled": 1,
				"message": MESSAGE,
				"recipients": [{"receiver_by_role": ROLE}],
				**values,
			}
		).insert(ignore_permissions=True)
		self.notifications.append(doc.name)
		frappe.db.commit()
		return doc.name

	def submit_order(self, **values) -> str:
		"""A real Sales Order of the test company for Acme, submitted (the notifications' event)."""
		doc = sales_order(self.facts.anchor, self.facts.customers[0], "SKU-1", qty=2, rate=250, **values)
		doc.insert()
		self.orders.append(doc.name)
		doc.submit()
		frappe.db.commit()  # the notification's job is enqueued after commit, as in a request
		return doc.name

	# -- reading -----------------------------------------------------------------------------

	def sent_to(self, contact) -> list[dict]:
		return [body for body in self.graph.sent_messages() if body.get("to") == contact.wa_id]

	def messages_about(self, order: str) -> list:
		return f.rows("Outgoing", reference_doctype="Sales Order", reference_name=order)

	def last(self, notification: str, field: str) -> str:
		return frappe.db.get_value("Notification", notification, field) or ""
