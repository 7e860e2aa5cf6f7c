"""Site tests of the Desk's review side (no browser): the whitelisted methods are manager-only, the
number cards and the Chatbot Usage report count the right rows (scoped to this test's own records:
the site has other data), the transcript, Re-run and Cancel, Meta's errors explained, and the
workspace shipped with the module."""

from __future__ import annotations

import json
import random

import frappe
from frappe.utils import add_days, now_datetime, today

from whatsapp_chatbot.api import desk
from whatsapp_chatbot.channel import contacts, outgoing
from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.review import bubbles, meta_errors, usage
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.whatsapp_chatbot.dashboard_chart_source.chatbot_messages_by_direction import (
	chatbot_messages_by_direction as messages_chart,
)
from whatsapp_chatbot.whatsapp_chatbot.report.chatbot_usage import chatbot_usage

COMMAND = "Chatbot Command"
MESSAGE = "Chatbot Message"
CARDS = (
	"Chatbot Messages Today",
	"Chatbot Open Conversations",
	"Chatbot Waiting for a Person",
	"Chatbot Handled by a Person",
	"Chatbot Awaiting Confirmation",
	"Chatbot Failures Today",
	"Chatbot Tokens This Month",
	"Chatbot Cost This Month",
)
# the turn queue's cards: Custom ones, computed from Redis by api/turn_queue.py (tests/test_backlog.py)
QUEUE_CARDS = ("Chatbot Turns Waiting", "Chatbot Turn Wait p50")


def unique_number() -> str:
	return "52155" + "".join(random.choice("0123456789") for _ in range(8))


class DeskTestCase(f.ChatbotTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# per class, not per test: Frappe throttles creating more than 60 users an hour
		run = frappe.generate_hash(length=8)
		cls.manager = f.make_user(f"chatbot-review-manager-{run}@example.com", roles=(MANAGER_ROLE,))
		cls.user = f.make_chat_user(f"chatbot-review-user-{run}@example.com")

	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()  # removes the contacts that link to the users first
		for user in (cls.manager, cls.user):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		f.make_chat_user(self.user)  # roles again: a test may have changed them
		self.number = unique_number()
		self.contact = f.make_contact(self.number, user=self.user, last_inbound_at=now_datetime())
		self.conversation = contacts.conversation_for(self.contact)
		frappe.db.commit()

	def tearDown(self):
		frappe.set_user("Administrator")
		super().tearDown()

	def message(self, direction="Incoming", status="Answered", **values) -> str:
		doc = frappe.get_doc(
			{
				"doctype": MESSAGE,
				"direction": direction,
				"status": status,
				"channel": "WhatsApp",
				"message_type": values.pop("message_type", "text"),
				"wamid": f"wamid.REVIEW{frappe.generate_hash(length=12)}",
				"contact": self.contact.name,
				"conversation": self.conversation.name,
				"user": self.user if direction == "Incoming" else None,
				"wa_id": self.number,
				**values,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name

	def command(
		self, status="Succeeded", kind="Read", name="find_documents", arguments=None, **values
	) -> str:
		doc = frappe.get_doc(
			{
				"doctype": COMMAND,
				"command": name,
				"kind": kind,
				"status": status,
				"arguments": json.dumps(arguments or {}),
				"run_as": self.user,
				"contact": self.contact.name,
				"conversation": self.conversation.name,
				**values,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name


class TestManagerOnly(DeskTestCase):
	def test_a_chatbot_user_is_refused_everywhere(self):
		name = self.command()
		calls = {
			"transcript": lambda: desk.transcript(self.conversation.name),
			"rerun_command": lambda: desk.rerun_command(name),
			"cancel_command": lambda: desk.cancel_command(name),
			"failures_today": lambda: desk.failures_today(),
			"tokens_this_month": lambda: desk.tokens_this_month(),
			"messages chart": lambda: messages_chart.get(),
			"usage report": lambda: chatbot_usage.execute({}),
		}
		frappe.set_user(self.user)
		for label, call in calls.items():
			with self.subTest(label), self.assertRaises(frappe.PermissionError):
				call()
		frappe.set_user(self.manager)
		self.assertEqual(desk.transcript(self.conversation.name)["conversation"], self.conversation.name)
		self.assertIsInstance(desk.failures_today(), int)

	def test_report_and_workspace_are_for_managers(self):
		self.assertEqual(
			{r.role for r in frappe.get_doc("Report", "Chatbot Usage").roles},
			{MANAGER_ROLE, "System Manager"},
		)
		workspace = frappe.get_doc("Workspace", "WhatsApp Chatbot")
		self.assertIn(MANAGER_ROLE, {r.role for r in workspace.roles})
		from frappe.desk.desktop import get_workspace_sidebar_items

		def sidebar_for(user):
			frappe.set_user(user)
			frappe.clear_cache(user=user)
			try:
				return {page["name"] for page in get_workspace_sidebar_items()["pages"]}
			finally:
				frappe.set_user("Administrator")

		self.assertIn("WhatsApp Chatbot", sidebar_for(self.manager))
		self.assertNotIn("WhatsApp Chatbot", sidebar_for(self.user))
		for chart in workspace.charts:
			self.assertIn(
				MANAGER_ROLE, {r.role for r in frappe.get_doc("Dashboard Chart", chart.chart_name).roles}
			)


class TestFigures(DeskTestCase):
	def card(self, name: str):
		from frappe.desk.doctype.number_card.number_card import get_result

		doc = frappe.get_doc("Number Card", name)
		if doc.type == "Custom":
			return frappe.get_attr(doc.method)()
		return get_result(doc.as_dict(), doc.filters_json)

	def test_number_cards_count_what_was_added(self):
		frappe.set_user(self.manager)
		before = {name: self.card(name) for name in CARDS}
		frappe.set_user("Administrator")
		self.message(prompt_tokens=1200, completion_tokens=300, cost=0.25)
		self.message("Outgoing", "Failed", error_code="131047", error_message="window closed")
		self.message("Outgoing", "Read")
		self.command("Awaiting Confirmation", "Write", "create_todo")
		self.command("Failed")
		frappe.set_user(self.manager)
		after = {name: self.card(name) for name in CARDS}
		delta = {name: after[name] - before[name] for name in CARDS}
		self.assertEqual(delta["Chatbot Messages Today"], 3)
		self.assertEqual(delta["Chatbot Awaiting Confirmation"], 1)
		self.assertEqual(delta["Chatbot Failures Today"], 2)  # one message, one command
		self.assertEqual(delta["Chatbot Tokens This Month"], 1500)
		self.assertAlmostEqual(delta["Chatbot Cost This Month"], 0.25, places=6)
		self.assertEqual(delta["Chatbot Open Conversations"], 0)  # ours was open before too
		self.assertEqual(
			after["Chatbot Open Conversations"],
			frappe.db.count("Chatbot Conversation", {"status": ("!=", "Closed")}),
		)

	def test_open_conversations_include_those_waiting_for_or_handled_by_a_person(self):
		"""Open is every conversation not Closed; Waiting and Human ones are also shown apart."""
		frappe.set_user(self.manager)
		before = {name: self.card(name) for name in CARDS}
		frappe.set_user("Administrator")
		changes = (
			("Waiting", {"Chatbot Waiting for a Person": 1}),
			("Human", {"Chatbot Handled by a Person": 1}),
			("Closed", {"Chatbot Open Conversations": -1}),
		)
		for status, expected in changes:
			with self.subTest(status=status):
				self.conversation.db_set("status", status)
				frappe.db.commit()
				frappe.set_user(self.manager)
				after = {name: self.card(name) for name in CARDS}
				frappe.set_user("Administrator")
				delta = {name: after[name] - before[name] for name in CARDS if after[name] != before[name]}
				self.assertEqual(delta, expected)

	def test_usage_report_rows_for_own_user(self):
		self.message(prompt_tokens=1000, completion_tokens=200, cost=0.1)
		self.message(prompt_tokens=500, completion_tokens=100, cost=0.05)
		self.message("Outgoing", "Sent")
		self.message("Outgoing", "Failed", error_code="190", error_message="token")
		self.command("Succeeded", "Read")
		self.command("Failed", "Read")
		self.command("Awaiting Confirmation", "Write", "create_todo")
		self.command("Cancelled", "Long", "export_list")
		frappe.set_user(self.manager)
		columns, rows, _message, chart = chatbot_usage.execute(
			{"from_date": add_days(today(), -1), "to_date": today(), "user": self.user}
		)
		self.assertEqual(len(rows), 1, rows)
		[row] = rows
		expected = {
			"user": self.user,
			"incoming": 2,
			"outgoing": 2,
			"commands": 4,
			"read": 2,
			"write": 1,
			"long": 1,
			"succeeded": 1,
			"failed": 1,
			"cancelled": 1,
			"awaiting_confirmation": 1,
			"prompt_tokens": 1500,
			"completion_tokens": 300,
			"failures": 2,  # the failed message and the failed command
		}
		self.assertEqual({k: row[k] for k in expected}, expected)
		self.assertAlmostEqual(row["cost"], 0.15, places=6)
		self.assertEqual(str(row["date"]), today())
		self.assertEqual({c["fieldname"] for c in columns} >= set(expected), True)
		self.assertEqual(chart["data"]["datasets"][0]["values"], [4])
		self.assertEqual(chart["data"]["datasets"][1]["values"], [4])
		# another user's filter sees none of it
		self.assertEqual(usage.usage_rows(today(), today(), self.manager), [])

	def test_messages_chart_counts_each_direction(self):
		frappe.set_user(self.manager)
		before = messages_chart.get()
		frappe.set_user("Administrator")
		self.message()
		self.message("Outgoing", "Sent")
		self.message("Outgoing", "Delivered")
		frappe.set_user(self.manager)
		after = messages_chart.get()
		incoming, outgoing_ = (
			after["datasets"][i]["values"][-1] - before["datasets"][i]["values"][-1] for i in (0, 1)
		)
		self.assertEqual((incoming, outgoing_), (1, 2))


class TestTranscript(DeskTestCase):
	def test_timeline_bubbles_and_cards(self):
		question = self.message(text="¿stock del TORN-M8?")
		command = self.command(message=question, result="TORN-M8: 120\nmás líneas")
		body = outgoing.buttons("¿Confirmas?", [("c:1", "Confirmar"), ("x:1", "Cancelar")])
		self.message("Outgoing", "Read", message_type="interactive", text="x", request_body=json.dumps(body))
		self.message(message_type="audio", is_voice=1, media_id="m1", transcript="hola", text="hola")
		self.message("Outgoing", "Failed", error_code="131026", error_message="undeliverable")
		frappe.set_user(self.manager)
		shown = desk.transcript(self.conversation.name)
		self.assertEqual(shown["message_count"], 4)  # the open form's Messages counter follows it
		items = shown["items"]
		kinds = [(i["kind"], i.get("side")) for i in items]
		self.assertEqual(
			kinds,
			[
				("message", "left"),
				("command", None),
				("message", "right"),
				("message", "left"),
				("message", "right"),
			],
		)
		self.assertEqual(items[1]["name"], command)
		self.assertEqual(items[1]["summary"], "TORN-M8: 120")
		self.assertEqual(
			(items[2]["buttons"], items[2]["ticks"], items[2]["text"]),
			(["Confirmar", "Cancelar"], "read", "¿Confirmas?"),
		)
		self.assertEqual(
			(items[3]["transcript"], items[3]["text"], items[3]["media"]["voice"]), ("hola", "", True)
		)
		self.assertEqual((items[4]["ticks"], items[4]["error"]["code"]), ("failed", "131026"))

	def test_list_bubble(self):
		body = outgoing.choice_list(
			"Elige", "Ver", [("Clientes", [("a", "Acme", "MXN"), ("b", "Beta", None)])]
		)
		bubble = bubbles.message_bubble(
			{"name": "m", "direction": "Outgoing", "status": "Sent", "request_body": json.dumps(body)}
		)
		self.assertEqual(bubble["list"]["button"], "Ver")
		self.assertEqual(
			bubble["list"]["sections"][0]["rows"],
			[{"title": "Acme", "description": "MXN"}, {"title": "Beta", "description": None}],
		)
		self.assertEqual(bubble["ticks"], "sent")

	def test_last_message_on_the_conversation(self):
		self.message(text="primera")
		self.message("Outgoing", "Sent", text="respuesta\nen dos líneas")
		self.assertEqual(
			frappe.db.get_value("Chatbot Conversation", self.conversation.name, "last_message"),
			"→ respuesta en dos líneas",
		)


class TestLiveEvents(DeskTestCase):
	"""What the open Conversation form hears, read off Frappe's Redis "events" channel (what the
	Socket.IO server relays to the browser)."""

	def test_meta_status_and_command_status_reach_the_conversation_room(self):
		from frappe.utils.background_jobs import get_redis_connection_without_auth

		sent = self.message("Outgoing", "Sent")
		wamid = frappe.db.get_value(MESSAGE, sent, "wamid")
		command = self.command("Running", "Long", "export_list")
		pubsub = get_redis_connection_without_auth().pubsub()
		pubsub.subscribe("events")
		try:
			f.call_webhook("POST", f.status_webhook(wamid, "delivered", recipient=self.number))
			doc = frappe.get_doc(COMMAND, command)
			doc.db_set("status", "Succeeded")
			frappe.db.commit()
			events = self._events(pubsub)
		finally:
			pubsub.close()
		room = f"doc:Chatbot Conversation/{self.conversation.name}"
		heard = {
			(e["message"].get("doctype"), e["message"].get("name"))
			for e in events
			if e["event"] == "whatsapp_chatbot_transcript" and e["room"] == room
		}
		self.assertIn((MESSAGE, sent), heard)  # Meta's tick, from the status webhook
		self.assertIn((COMMAND, command), heard)

	@staticmethod
	def _events(pubsub, seconds: float = 2.0) -> list[dict]:
		import time

		events, deadline = [], time.monotonic() + seconds
		while time.monotonic() < deadline:
			item = pubsub.get_message(timeout=0.2)
			if item and item["type"] == "message":
				event = json.loads(item["data"])
				if event.get("namespace") == frappe.local.site:
					events.append(event)
		return events


class TestRerunAndCancel(DeskTestCase):
	def test_rerun_of_a_read_answers_the_contact_as_that_user(self):
		question = self.message(text="/find_documents ToDo")
		original = self.command(message=question, arguments={"doctype": "ToDo", "count_only": True})
		frappe.set_user(self.manager)
		result = desk.rerun_command(original)
		frappe.set_user("Administrator")
		self.assertNotEqual(result["command"], original)
		new = frappe.get_doc(COMMAND, result["command"])
		self.assertEqual((new.status, new.run_as, new.command), ("Succeeded", self.user, "find_documents"))
		frappe.db.commit()
		f.run_jobs(queues=("short",))
		sent = self.graph.sent_messages()
		self.assertEqual([m["to"] for m in sent], [self.number])
		self.assertIn(self.manager, frappe.db.get_value("Comment", {"reference_name": original}, "content"))

	def test_rerun_of_a_write_asks_the_contact_to_confirm(self):
		question = self.message(text="crea un pendiente")
		description = f"Revisar {frappe.generate_hash(length=8)}"
		original = self.command(
			kind="Write", name="create_todo", message=question, arguments={"description": description}
		)
		frappe.set_user(self.manager)
		frappe.local.lang = "en"  # the manager's Desk speaks English; the contact writes Spanish
		result = desk.rerun_command(original)
		frappe.set_user("Administrator")
		new = frappe.get_doc(COMMAND, result["command"])
		self.assertEqual(new.status, "Awaiting Confirmation")
		self.assertFalse(frappe.db.exists("ToDo", {"description": ("like", f"%{description}%")}))
		frappe.db.commit()
		f.run_jobs(queues=("short",))
		[question_sent] = self.graph.sent_messages()
		self.assertEqual(question_sent["type"], "interactive")
		self.assertEqual(len(question_sent["interactive"]["action"]["buttons"]), 2)
		# the preview and the question alike in the contact's language, not the manager's
		self.assertTrue(
			question_sent["interactive"]["body"]["text"].startswith(f"Nueva tarea: {description}"),
			question_sent["interactive"]["body"]["text"],
		)

	def test_rerun_of_a_long_command_is_queued_again(self):
		from whatsapp_chatbot.tests.long_task import define_slow_command

		slow = define_slow_command(self.addCleanup)
		try:
			original = self.command(
				"Succeeded",
				"Long",
				slow,
				message=self.message(text=f"/{slow} 2 0.1"),
				arguments={"steps": 2, "seconds": 0.1},
			)
			frappe.set_user(self.manager)
			result = desk.rerun_command(original)
			frappe.set_user("Administrator")
			new = frappe.get_doc(COMMAND, result["command"])
			self.assertEqual((new.status, new.job_id, new.run_as), ("Queued", new.name, self.user))
			frappe.db.commit()
			f.run_jobs(queues=("short",))
			[working] = self.graph.sent_messages()
			self.assertIn(new.name, working["text"]["body"])  # "working on it (ref CMD-…)"
		finally:
			f.clear_jobs()

	def test_rerun_refused_when_the_contact_may_no_longer_chat(self):
		original = self.command(message=self.message(text="hola"))
		self.contact.db_set("enabled", 0)
		frappe.set_user(self.manager)
		with self.assertRaises(frappe.ValidationError):
			desk.rerun_command(original)

	def test_cancel_queued_and_running(self):
		queued = self.command("Queued", "Long", "export_list", message=self.message(text="exporta"))
		running = self.command("Running", "Long", "export_list")
		done = self.command("Succeeded")
		frappe.set_user(self.manager)
		self.assertEqual(desk.cancel_command(queued), "Cancelled")
		self.assertEqual(desk.cancel_command(running), "Running")
		with self.assertRaises(frappe.ValidationError):
			desk.cancel_command(done)
		frappe.set_user("Administrator")
		self.assertEqual(
			frappe.db.get_value(COMMAND, queued, ["status", "cancel_requested"]), ("Cancelled", 1)
		)
		self.assertEqual(
			frappe.db.get_value(COMMAND, running, ["status", "cancel_requested"]), ("Running", 1)
		)
		# the contact hears that the queued one was stopped, once
		self.assertEqual(frappe.db.count(MESSAGE, {"outbox_key": f"{queued}:result:0"}), 1)


class TestMetaErrors(DeskTestCase):
	def test_advice_by_code(self):
		self.assertIn("template", meta_errors.explain("131047", "Re-engagement message")["advice"])
		self.assertIn("token", meta_errors.explain("190", "Invalid OAuth access token")["advice"])
		self.assertIn("not on WhatsApp", meta_errors.explain("131026", "Message undeliverable")["advice"])
		self.assertIn("resumes after 3 h", meta_errors.explain("132015", "Template paused")["advice"])
		self.assertIn("24 hours later", meta_errors.explain("131049", "Not delivered")["advice"])
		other = meta_errors.explain("131000", "Something went wrong")
		self.assertEqual((other["code"], other["text"]), ("131000", "Something went wrong"))
		self.assertIsNone(meta_errors.explain(None, None))

	def test_failed_outgoing_message_form_carries_it(self):
		name = self.message(
			"Outgoing", "Failed", error_code="190", error_message="Invalid OAuth access token"
		)
		doc = frappe.get_doc(MESSAGE, name)
		doc.run_method("onload")
		self.assertEqual(doc.get_onload().meta_error["code"], "190")


class TestShippedWithTheModule(DeskTestCase):
	def test_workspace_cards_charts_report_exist_and_leave_on_uninstall(self):
		from frappe.installer import _get_module_linked_doctype_field_map

		workspace = frappe.get_doc("Workspace", "WhatsApp Chatbot")
		self.assertEqual(workspace.module, "WhatsApp Chatbot")
		self.assertEqual({c.number_card_name for c in workspace.number_cards}, {*CARDS, *QUEUE_CARDS})
		for card in (*CARDS, *QUEUE_CARDS):
			self.assertEqual(frappe.db.get_value("Number Card", card, "module"), "WhatsApp Chatbot")
		for chart in workspace.charts:
			self.assertEqual(
				frappe.db.get_value("Dashboard Chart", chart.chart_name, "module"), "WhatsApp Chatbot"
			)
		self.assertTrue(frappe.db.exists("Dashboard Chart Source", "Chatbot Messages by Direction"))
		self.assertEqual(frappe.db.get_value("Report", "Chatbot Usage", "module"), "WhatsApp Chatbot")
		shortcuts = {s.label: (s.type, s.link_to or s.url) for s in workspace.shortcuts}
		self.assertEqual(shortcuts["Playground"], ("Page", "chatbot-playground"))
		self.assertEqual(shortcuts["Usage"], ("Report", "Chatbot Usage"))
		# uninstall-app deletes every record of the module in these DocTypes (frappe.installer)
		removed_by_module = _get_module_linked_doctype_field_map()
		for doctype in ("Workspace", "Report", "Number Card", "Dashboard Chart", "Dashboard Chart Source"):
			self.assertEqual(removed_by_module.get(doctype), "module", doctype)
