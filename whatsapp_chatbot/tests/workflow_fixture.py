"""A Workflow on Purchase Order for the approval tests, made and removed around a test class.

Pending → Approve → Approved (submitted) / Reject → Rejected, both for Purchase Manager, as a
company would set it up in the Desk. Saving a Workflow makes Frappe deactivate the DocType's other
workflows and add its state field as a Custom Field: `remove` puts both back as they were, and a
run killed half-way is cleaned by the next one (the workflow and its field have fixed names).
Purchase Orders made here are cancelled and deleted, so the company's ordered quantities stay
what tests/erpnext_data.py says.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_days, now_datetime, nowdate

from whatsapp_chatbot.tests import erpnext_data as data
from whatsapp_chatbot.tests import factories as f

DOCTYPE = "Purchase Order"
WORKFLOW = "WhatsApp Chatbot Test PO Approval"
STATE_FIELD = "whatsapp_chatbot_test_state"
APPROVER = "chatbot-compras-jefe@example.com"
SECOND_APPROVER = "chatbot-compras-jefa@example.com"
REQUESTER = "chatbot-compras@example.com"
STANDARD_STATES = ("Pending", "Approved", "Rejected")
STANDARD_ACTIONS = ("Approve", "Reject")


def make_users() -> None:
	for user in (APPROVER, SECOND_APPROVER):
		f.make_chat_user(user, ("Purchase Manager", "Purchase User"), data.COMPANY, language="es")
	f.make_chat_user(REQUESTER, ("Purchase User", "Stock User"), data.COMPANY)


def make_workflow(actions: dict[str, str] | None = None) -> list[str]:
	"""The workflow, active; `actions`: {action: next state} from Pending (default Approve /
	Reject). Returns the workflows it deactivated."""
	remove([])
	actions = actions or {"Approve": "Approved", "Reject": "Rejected"}
	for state in {"Pending", *actions.values()}:
		if not frappe.db.exists("Workflow State", state):
			frappe.get_doc({"doctype": "Workflow State", "workflow_state_name": state}).insert()
	for action in actions:
		if not frappe.db.exists("Workflow Action Master", action):
			frappe.get_doc({"doctype": "Workflow Action Master", "workflow_action_name": action}).insert()
	active = frappe.get_all("Workflow", filters={"document_type": DOCTYPE, "is_active": 1}, pluck="name")
	states = [{"state": "Pending", "doc_status": "0", "allow_edit": "Purchase User"}]
	for state in dict.fromkeys(actions.values()):
		states.append(
			{
				"state": state,
				"doc_status": "1" if state == "Approved" else "0",
				"allow_edit": "Purchase Manager",
			}
		)
	frappe.get_doc(
		{
			"doctype": "Workflow",
			"workflow_name": WORKFLOW,
			"document_type": DOCTYPE,
			"workflow_state_field": STATE_FIELD,
			"is_active": 1,
			"send_email_alert": 0,
			"states": states,
			"transitions": [
				{"state": "Pending", "action": action, "next_state": state, "allowed": "Purchase Manager"}
				for action, state in actions.items()
			],
		}
	).insert(ignore_permissions=True)
	_forget()
	frappe.db.commit()
	return active


def remove(reactivate: list[str]) -> None:
	"""The workflow, its POs and its state field gone; the workflows it deactivated active again.
	States and actions that came with Frappe stay; those the tests made go when unused."""
	orders = frappe.get_all(
		DOCTYPE,
		filters={"owner": ("in", (REQUESTER, APPROVER, SECOND_APPROVER)), "docstatus": ("<", 2)},
		pluck="name",
	)
	if frappe.db.exists("Workflow", WORKFLOW):  # first: cancelling is no workflow transition
		frappe.delete_doc("Workflow", WORKFLOW, ignore_permissions=True, force=True)
		_forget()
	for name in orders:
		delete_order(name)
	custom_field = frappe.db.get_value("Custom Field", {"dt": DOCTYPE, "fieldname": STATE_FIELD})
	if custom_field:
		frappe.delete_doc("Custom Field", custom_field, ignore_permissions=True)
	for name in reactivate:
		frappe.db.set_value("Workflow", name, "is_active", 1)
	for state in frappe.get_all("Workflow State", filters={"name": ("like", "WCB %")}, pluck="name"):
		if not frappe.db.exists("Workflow Document State", {"state": state}):
			frappe.delete_doc("Workflow State", state, ignore_permissions=True)
	for action in frappe.get_all("Workflow Action Master", filters={"name": ("like", "WCB %")}, pluck="name"):
		if not frappe.db.exists("Workflow Transition", {"action": action}):
			frappe.delete_doc("Workflow Action Master", action, ignore_permissions=True)
	_forget()
	frappe.db.commit()


def _forget() -> None:
	frappe.cache.hdel("workflow", DOCTYPE)
	frappe.clear_cache(doctype=DOCTYPE)


def new_order(qty: float = 200, user: str = REQUESTER) -> str:
	"""A Purchase Order made by `user` (it enters Pending: Frappe creates its Workflow Action)."""
	schedule = add_days(nowdate(), 10)
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		order = frappe.get_doc(
			{
				"doctype": DOCTYPE,
				"company": data.COMPANY,
				"supplier": data.SUPPLIER,
				"currency": data.CURRENCY,
				"conversion_rate": 1,
				"buying_price_list": data.BUYING_PRICE_LIST,
				"transaction_date": nowdate(),
				"schedule_date": schedule,
				"set_warehouse": data.STORES,
				"items": [
					{
						"item_code": "TUERCA-M8",
						"qty": qty,
						"rate": 0.40,
						"warehouse": data.STORES,
						"schedule_date": schedule,
					}
				],
				"taxes_and_charges": None,
				"taxes": [],
			}
		).insert()
	finally:
		frappe.set_user(previous)
	frappe.db.commit()  # as the Desk's request would: the notification job is enqueued after it
	return order.name


def delete_order(name: str) -> None:
	order = frappe.get_doc(DOCTYPE, name)
	if order.docstatus == 1:
		order.flags.ignore_permissions = True
		order.cancel()
	frappe.delete_doc(DOCTYPE, name, ignore_permissions=True, force=True)


class ApprovalTestCase(f.InterpreterTestCase):
	"""InterpreterTestCase with the Purchase Order workflow, two approvers with contacts (Spanish,
	their window open) and helpers to read what reached each phone."""

	APPROVER_WA, SECOND_WA = "5215570000001", "5215570000002"
	ACTIONS: dict[str, str] | None = None  # the workflow's actions from Pending (None: Approve/Reject)

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_users()
		cls.addClassCleanup(remove, make_workflow(cls.ACTIONS))

	def setUp(self):
		super().setUp()
		self.approver_contact = f.make_contact(
			self.APPROVER_WA, user=APPROVER, last_inbound_at=now_datetime()
		)
		self.second_contact = f.make_contact(
			self.SECOND_WA, user=SECOND_APPROVER, last_inbound_at=now_datetime()
		)
		for contact in (self.sales_contact, self.store_contact):
			contact.db_set("last_inbound_at", now_datetime())  # anything for them would go out
		frappe.db.commit()
		self.orders = []
		self.addCleanup(self._delete_orders)

	def _delete_orders(self):
		frappe.set_user("Administrator")
		for name in self.orders:
			if frappe.db.exists(DOCTYPE, name):
				delete_order(name)
		frappe.db.commit()

	def order(self, **kwargs) -> str:
		"""A new Purchase Order, and the approvers' messages sent (the job run as a worker would)."""
		name = new_order(**kwargs)
		self.orders.append(name)
		f.run_jobs(queues=("short",))
		return name

	def to(self, wa_id: str, since: int = 0) -> list[dict]:
		return [m for m in self.graph.sent_messages()[since:] if m.get("to") == wa_id]

	def state(self, name: str) -> str:
		frappe.db.rollback()  # what the job committed
		return frappe.db.get_value(DOCTYPE, name, STATE_FIELD)

	@staticmethod
	def titles(sent: dict) -> list[str]:
		return [b["reply"]["title"] for b in sent["interactive"]["action"]["buttons"]]
