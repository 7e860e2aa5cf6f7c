"""Approvals asked for in words, in the real site: /pending without the model, the model's
pending_approvals read, and a typed approval that goes through Confirm like any write."""

import json

import frappe

from whatsapp_chatbot import i18n
from whatsapp_chatbot.tests.fake_openai import call, from_request, last_tool_result, say
from whatsapp_chatbot.tests.workflow_fixture import (
	APPROVER,
	DOCTYPE,
	SECOND_APPROVER,
	ApprovalTestCase,
)


def es(word: str) -> str:
	return frappe._(word, lang=i18n.bot_language("es"))


class TestApprovalsInWords(ApprovalTestCase):
	def said(self, text: str, wa_id: str) -> list[dict]:
		before = len(self.graph.sent_messages())
		self.say(text, wa_id)
		return self.to(wa_id, before)

	def test_pending_lists_what_waits_without_the_model(self):
		order = self.order()
		[listed] = self.said("/pending", self.APPROVER_WA)
		self.assertIn(order, self.body(listed))
		self.assertIn(f"{es('Approve')} / {es('Reject')}", self.body(listed))
		[nothing] = self.said("/pendientes", self.STORE_MX)  # no Purchase Manager: nothing waits
		self.assertEqual(
			self.body(nothing),
			frappe._("Nothing is waiting for your approval.", lang=i18n.bot_language("es")),
		)
		self.assertEqual(self.openai.requests, [])  # no model involved

		self.press(self.buttons(self.to(self.APPROVER_WA)[0])[0], wa_id=self.APPROVER_WA)
		[after] = self.said("/pending", self.APPROVER_WA)
		self.assertNotIn(order, self.body(after))
		self.assertEqual(
			frappe.db.get_value(
				"Chatbot Command", {"command": "pending_approvals", "run_as": APPROVER}, "status"
			),
			"Succeeded",
		)

	def test_the_model_reads_what_waits(self):
		order = self.order()
		self.openai.script(call("pending_approvals"), from_request(lambda r: say(last_tool_result(r))))
		self.said("¿qué tengo pendiente de aprobar?", self.APPROVER_WA)
		[listed] = json.loads(last_tool_result(self.openai.requests[-1]))
		self.assertEqual(
			(listed["name"], listed["state"], listed["actions"]), (order, "Pending", ["Approve", "Reject"])
		)
		self.assertIn("Proveedora Norte", listed["party"])
		self.assertIn("apply_workflow_action", self.tools_offered(0))

	def test_a_typed_approval_goes_through_confirm(self):
		order = self.order()
		before = len(self.graph.sent_messages())
		self.openai.script(
			call(
				"apply_workflow_action",
				{"doctype": DOCTYPE, "name": order, "action": "aprobar", "state": "Pending"},
			)
		)
		[preview] = self.said(f"aprueba la {order}", self.APPROVER_WA)
		self.assertIn(f"{es('Pending')} → {es('Approved')}", self.body(preview))
		self.assertEqual(self.state(order), "Pending")  # nothing before Confirm
		self.assertEqual(self.to(self.SECOND_WA, before), [])

		self.press(self.buttons(preview)[0], wa_id=self.APPROVER_WA)
		self.assertEqual(self.state(order), "Approved")
		self.assertEqual(frappe.db.get_value(DOCTYPE, order, ["docstatus", "modified_by"]), (1, APPROVER))
		command = frappe.get_last_doc("Chatbot Command", filters={"command": "apply_workflow_action"})
		self.assertEqual((command.status, command.run_as), ("Succeeded", APPROVER))
		[told] = self.to(self.SECOND_WA, before)  # the other approver's buttons are spent
		self.assertIn("chatbot-compras-jefe", self.body(told))
		statuses = dict(
			frappe.get_all(
				"Chatbot Approval",
				filters={"reference_name": order},
				fields=["run_as", "status"],
				as_list=True,
			)
		)
		self.assertEqual(statuses, {APPROVER: "Used", SECOND_APPROVER: "Done by Other"})

	def test_a_typed_action_that_is_not_open_is_refused_before_any_question(self):
		order = self.order()
		for wa_id, action in ((self.STORE_MX, "Approve"), (self.APPROVER_WA, "Escalate")):
			with self.subTest(wa_id=wa_id, action=action):
				self.openai.script(
					call(
						"apply_workflow_action",
						{"doctype": DOCTYPE, "name": order, "action": action, "state": None},
					),
					from_request(lambda r: say(last_tool_result(r))),
				)
				[answer] = self.said(f"{action} {order}", wa_id)
				self.assertIn("error", self.body(answer))  # what the model was told, no question asked
				self.assertEqual(self.state(order), "Pending")
		self.assertFalse(frappe.db.exists("Chatbot Command", {"status": "Awaiting Confirmation"}))
		# changed since the state the model saw
		self.openai.script(
			call(
				"apply_workflow_action",
				{"doctype": DOCTYPE, "name": order, "action": "Approve", "state": "Approved"},
			),
			from_request(lambda r: say(last_tool_result(r))),
		)
		[answer] = self.said(f"aprueba {order}", self.APPROVER_WA)
		self.assertIn(order, self.body(answer))
		self.assertFalse(frappe.db.exists("Chatbot Command", {"status": "Awaiting Confirmation"}))
