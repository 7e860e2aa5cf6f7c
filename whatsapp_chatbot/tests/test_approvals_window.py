"""Approvals outside the 24-hour window and for more than three actions, in the real site: the
approval template with the order's PDF as its header and the same payloads on its quick replies
(checked by the Graph stand-in against the template Meta holds), and a step of four actions held
behind the "messages waiting" template, then offered as a list."""

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.message_templates import standard
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.processes import DevServer
from whatsapp_chatbot.tests.workflow_fixture import APPROVER, DOCTYPE, ApprovalTestCase

SETTINGS = "WhatsApp Chatbot Settings"


class WindowTestCase(ApprovalTestCase):
	def setUp(self):
		super().setUp()
		self.waiting = f.make_waiting_template(self.graph)
		self.addCleanup(f.forget_template, self.waiting)
		self.approver_contact.db_set("last_inbound_at", add_to_date(now_datetime(), hours=-25))
		frappe.db.commit()

	def pick(self, row_id: str, title: str, wa_id: str) -> None:
		"""A row of a list message chosen (interactive list_reply), through the signed webhook."""
		body = f.text_webhook("", wa_id=wa_id)
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		message["type"] = "interactive"
		message["interactive"] = {"type": "list_reply", "list_reply": {"id": row_id, "title": title}}
		self.post(body)
		f.run_jobs(queues=("short",))

	def quick_reply(self, payload: str, text: str, wa_id: str) -> None:
		self.post(f.template_button_webhook(payload, text, wa_id=wa_id))
		f.run_jobs(queues=("short",))


class TestApprovalTemplate(WindowTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.server = DevServer().start()  # printing fetches the print styles from the site's URL
		cls.addClassCleanup(cls.server.stop)

	def setUp(self):
		super().setUp()
		previous = frappe.local.conf.host_name
		frappe.local.conf.host_name = self.server.base_url
		self.addCleanup(lambda: setattr(frappe.local.conf, "host_name", previous))
		run = frappe.generate_hash(length=8)
		for language in ("es", "en"):  # the app's own approval template, under this run's name
			components = standard.definition(standard.APPROVAL_REQUEST, language)["components"]
			name = f.make_template(f"wcb_approval_{run}", language, components, "Named", graph=self.graph)
			self.addCleanup(f.forget_template, name)
		frappe.db.set_single_value(SETTINGS, "approval_template", f"wcb_approval_{run}-en")
		self.addCleanup(frappe.db.set_single_value, SETTINGS, "approval_template", None)
		frappe.db.commit()

	def test_outside_the_window_the_template_carries_the_pdf_and_the_buttons(self):
		order = self.order()
		[sent] = self.to(self.APPROVER_WA)  # accepted by the stand-in: Meta's checks passed
		self.assertEqual(sent["type"], "template")
		self.assertEqual(sent["template"]["language"], {"code": "es"})  # the approver's language
		header, body, approve, reject = sent["template"]["components"]
		document = header["parameters"][0]["document"]
		self.assertEqual(document["filename"], f"{order}.pdf")
		upload = next(r for r in self.graph.requests if r.path.endswith("/media"))
		self.assertTrue(upload.form["file"][0].startswith(b"%PDF"))  # printed, uploaded, sent by id
		self.assertIn(document["id"], self.graph.media)
		values = {p["parameter_name"]: p["text"] for p in body["parameters"]}
		self.assertEqual((values["name"], values["party"]), (order, "Proveedora Norte"))
		row = frappe.get_last_doc("Chatbot Message", filters={"contact": self.approver_contact.name})
		self.assertEqual((row.reference_doctype, row.reference_name), (DOCTYPE, order))  # its timeline

		self.quick_reply(approve["parameters"][0]["payload"], "Aprobar", self.APPROVER_WA)
		self.assertEqual(self.state(order), "Approved")
		self.assertEqual(frappe.db.get_value(DOCTYPE, order, "modified_by"), APPROVER)
		self.quick_reply(reject["parameters"][0]["payload"], "Rechazar", self.APPROVER_WA)
		self.assertEqual(self.state(order), "Approved")  # one press, one action

	def test_inside_the_window_the_pdf_comes_first_when_the_settings_ask(self):
		frappe.db.set_single_value(SETTINGS, "approval_pdf", 1)
		self.addCleanup(frappe.db.set_single_value, SETTINGS, "approval_pdf", 0)
		self.approver_contact.db_set("last_inbound_at", now_datetime())
		frappe.db.commit()
		order = self.order()
		document, buttons = self.to(self.APPROVER_WA)
		self.assertEqual((document["type"], document["document"]["filename"]), ("document", f"{order}.pdf"))
		self.assertEqual(buttons["interactive"]["type"], "button")
		self.assertEqual(len(self.to(self.SECOND_WA)), 2)


class TestFourActions(WindowTestCase):
	ACTIONS = {
		"Approve": "Approved",
		"Reject": "Rejected",
		"WCB Send Back": "WCB Returned",
		"WCB Escalate": "WCB Escalated",
	}

	def rows(self, sent: dict) -> list[tuple[str, str]]:
		[section] = sent["interactive"]["action"]["sections"]
		return [(row["id"], row["title"]) for row in section["rows"]]

	def test_more_than_three_actions_are_a_list(self):
		self.approver_contact.db_set("last_inbound_at", now_datetime())
		frappe.db.commit()
		order = self.order()
		[sent] = self.to(self.APPROVER_WA)
		self.assertEqual(sent["interactive"]["type"], "list")
		rows = self.rows(sent)
		self.assertEqual(len(rows), 4)
		self.assertEqual(rows[3][1], "WCB Escalate")
		self.pick(*rows[3], self.APPROVER_WA)
		self.assertEqual(self.state(order), "WCB Escalated")

	def test_outside_the_window_they_wait_behind_the_waiting_template(self):
		order = self.order()
		[waiting] = self.to(self.APPROVER_WA)  # not the list: Meta would refuse it now
		self.assertEqual(
			waiting["template"]["name"],
			frappe.db.get_value("Chatbot Template", self.waiting, "template_name"),
		)
		held = frappe.get_all(
			"Chatbot Message",
			filters={"contact": self.approver_contact.name, "status": "Held"},
			fields=["reference_name", "message_type"],
		)
		self.assertEqual([(h.reference_name, h.message_type) for h in held], [(order, "interactive")])

		before = len(self.graph.sent_messages())
		release = waiting["template"]["components"][-1]["parameters"][0]["payload"]
		self.quick_reply(release, "Ver mensajes", self.APPROVER_WA)  # opens the window: the list comes
		[listed] = [m for m in self.to(self.APPROVER_WA, before) if m["type"] == "interactive"]
		self.pick(*self.rows(listed)[2], self.APPROVER_WA)
		self.assertEqual(self.state(order), "WCB Returned")
