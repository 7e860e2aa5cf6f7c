"""Workflow approvals from WhatsApp buttons, in the real site: a Purchase Order workflow (Approve /
Reject for Purchase Manager), its approvers' phones (the Graph stand-in) and presses coming back
through the signed webhook and the processing job, as from Meta."""

import json

import frappe

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.workflow_fixture import (
	APPROVER,
	DOCTYPE,
	REQUESTER,
	SECOND_APPROVER,
	ApprovalTestCase,
	new_order,
)

APPROVAL = "Chatbot Approval"


class TestApprovalButtons(ApprovalTestCase):
	@staticmethod
	def say_es(word: str) -> str:
		"""A Workflow's word as a Spanish approver reads it (Frappe's translation)."""
		return frappe._(word, lang=i18n.bot_language("es"))

	def presses(self, name: str) -> list:
		return frappe.get_all(
			"Chatbot Command",
			filters={"command": "apply_workflow_action", "arguments": ("like", f'%"{name}"%')},
			fields=["status", "run_as", "contact", "error", "result", "arguments"],
			order_by="creation asc",
		)

	def test_the_approver_gets_buttons_and_a_press_approves_as_them(self):
		order = self.order()
		[sent] = self.to(self.APPROVER_WA)
		self.assertEqual(sent["type"], "interactive")
		# the Workflow's actions, in the approver's language
		self.assertEqual(self.titles(sent), [self.say_es("Approve"), self.say_es("Reject")])
		text = self.body(sent)
		total = frappe.utils.fmt_money(frappe.db.get_value(DOCTYPE, order, "grand_total"), currency="MXN")
		for part in (order, "Proveedora Norte", total, "200 x Tuerca M8", "chatbot-compras"):
			self.assertIn(part, text)
		self.assertEqual(len(self.to(self.SECOND_WA)), 1)  # both Purchase Managers

		before = len(self.graph.sent_messages())
		approve = self.buttons(sent)[0]
		self.press(approve, wa_id=self.APPROVER_WA, title="Aprobar")
		[done] = self.to(self.APPROVER_WA, before)
		self.assertIn(order, self.body(done))
		self.assertEqual(self.state(order), "Approved")
		approved = frappe.get_doc(DOCTYPE, order)
		self.assertEqual((approved.docstatus, approved.modified_by), (1, APPROVER))
		comment = frappe.get_last_doc(
			"Comment",
			filters={"reference_doctype": DOCTYPE, "reference_name": order, "comment_type": "Workflow"},
		)
		self.assertEqual((comment.owner, comment.content), (APPROVER, "Approved"))  # Frappe's timeline

		[told] = self.to(self.SECOND_WA, before)  # the other approver of the step
		self.assertIn("chatbot-compras-jefe", self.body(told))
		[press] = self.presses(order)
		self.assertEqual((press.status, press.run_as), ("Succeeded", APPROVER))
		arguments = json.loads(press.arguments)
		self.assertEqual((arguments["action"], arguments["state"]), ("Approve", "Pending"))
		statuses = dict(
			frappe.get_all(
				APPROVAL, filters={"reference_name": order}, fields=["run_as", "status"], as_list=True
			)
		)
		self.assertEqual(statuses, {APPROVER: "Used", SECOND_APPROVER: "Done by Other"})

	def test_a_payload_works_once_and_for_its_own_contact_only(self):
		order = self.order()
		approve, reject = self.buttons(self.to(self.APPROVER_WA)[0])
		invalid = texts.text("confirmation_invalid", "es")
		# the same id from a phone that may not approve, from the other approver, or forged
		for wa_id, button in (
			(self.STORE_MX, approve),
			(self.SECOND_WA, approve),
			(self.APPROVER_WA, approve.rsplit(":", 2)[0] + ":0123456789abcdef0123:0"),
			(self.APPROVER_WA, approve[:-1] + "7"),  # an action it never offered
			(self.APPROVER_WA, "wf:doesnotexist:abc:0"),
		):
			with self.subTest(wa_id=wa_id, button=button):
				[refused] = self.press(button, wa_id=wa_id)
				self.assertEqual(self.body(refused), invalid)
				self.assertEqual(self.state(order), "Pending")

		self.press(reject, wa_id=self.APPROVER_WA, title="Rechazar")
		self.assertEqual(self.state(order), "Rejected")
		[again] = self.press(approve, wa_id=self.APPROVER_WA)  # a second press
		self.assertIn(order, self.body(again))
		self.assertEqual(self.state(order), "Rejected")
		second = self.buttons(self.to(self.SECOND_WA)[0])[0]
		[late] = self.press(second, wa_id=self.SECOND_WA)  # their buttons now say it was done
		self.assertEqual(
			self.body(late),
			texts.text(
				"approval_already_done",
				"es",
				user="chatbot-compras-jefe",
				doctype=self.say_es(DOCTYPE),
				name=order,
				state=self.say_es("Rejected"),
			),
		)
		self.assertEqual(self.state(order), "Rejected")
		presses = self.presses(order)
		self.assertEqual([p.status for p in presses].count("Succeeded"), 1)
		self.assertEqual(len(presses), 7)  # every press recorded, with why it did nothing…
		self.assertTrue(  # …the one naming no approval too
			frappe.db.exists(
				"Chatbot Command", {"arguments": ("like", "%wf:doesnotexist%"), "status": "Failed"}
			)
		)
		self.assertTrue(all(p.error.startswith("refused:") for p in presses if p.status == "Failed"))

	def test_a_press_after_the_document_changed_applies_nothing(self):
		order = self.order()
		approve = self.buttons(self.to(self.APPROVER_WA)[0])[0]
		frappe.set_user(REQUESTER)
		edited = frappe.get_doc(DOCTYPE, order)
		edited.items[0].qty = 5000  # the order the manager saw was for 200
		edited.save()
		frappe.set_user("Administrator")
		frappe.db.commit()

		refused, fresh = self.press(approve, wa_id=self.APPROVER_WA)
		self.assertIn(self.say_es("Pending"), self.body(refused))
		self.assertEqual(self.state(order), "Pending")
		self.assertEqual(frappe.db.get_value(DOCTYPE, order, "docstatus"), 0)
		now = frappe.utils.fmt_money(frappe.db.get_value(DOCTYPE, order, "grand_total"), currency="MXN")
		self.assertIn(now, self.body(fresh))  # the order as it is now: 5000 x 0.40
		before = len(self.graph.sent_messages())
		self.press(self.buttons(fresh)[0], wa_id=self.APPROVER_WA)
		self.assertEqual(len(self.to(self.APPROVER_WA, before)), 1)
		self.assertEqual(self.state(order), "Approved")
		self.assertEqual(frappe.db.get_value(DOCTYPE, order, "modified_by"), APPROVER)

	def test_who_may_not_act_hears_nothing(self):
		f.make_contact("5215570000009", user=REQUESTER, last_inbound_at=frappe.utils.now_datetime())
		self.second_contact.db_set("enabled", 0)
		frappe.db.commit()
		order = self.order()
		self.assertEqual(len(self.to(self.APPROVER_WA)), 1)
		for wa_id in (self.SECOND_WA, self.MX, self.STORE_MX, "5215570000009"):
			self.assertEqual(self.to(wa_id), [], wa_id)  # disabled, no Purchase Manager role, the requester
		self.assertEqual(
			frappe.get_all(APPROVAL, filters={"reference_name": order}, pluck="run_as"), [APPROVER]
		)

	def test_a_document_sent_for_approval_can_still_be_deleted(self):
		order = self.order()
		self.assertTrue(frappe.db.exists("Chatbot Message", {"reference_name": order}))
		frappe.delete_doc(DOCTYPE, order)  # as the Desk deletes: links checked
		frappe.db.commit()
		self.assertFalse(frappe.db.exists(DOCTYPE, order))

	def test_saves_of_documents_without_a_workflow_enqueue_nothing(self):
		todo = frappe.get_doc({"doctype": "ToDo", "description": "no workflow here"}).insert()
		frappe.db.commit()
		self.addCleanup(frappe.delete_doc, "ToDo", todo.name, force=True)
		self.assertEqual([j for j in f.queued_jobs() if "approvals" in j.id], [])
		name = new_order()  # a workflow document: one job, named by its Workflow Action
		self.orders.append(name)
		[job] = [j for j in f.queued_jobs() if "approvals" in j.id]
		self.assertEqual(job.kwargs["kwargs"]["requested_by"], REQUESTER)
