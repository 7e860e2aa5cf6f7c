"""Steer: a manager takes over a conversation, replies through the outbox and hands it back; a
contact asks for a person; the bot's sentences follow the language the contact writes in."""

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.api import desk, setup
from whatsapp_chatbot.tests import factories as f

US = "16505559876"  # a +1 number: English by its country code


class SteerTestCase(f.ChatbotTestCase):
	# fixed users whose roles make_user resets: Frappe throttles user creation (60 an hour)
	suffix = "7b"

	def setUp(self):
		super().setUp()
		self.user = f.make_user(f"chatbot-steer-{self.suffix}@example.com")
		self.manager = f.make_manager(f"chatbot-steer-manager-{self.suffix}@example.com")
		self.contact = f.make_contact(US, user=self.user)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.delete("Notification Log", {"document_type": "Chatbot Conversation"})
		frappe.db.commit()

	def write(self, text: str) -> list[dict]:
		before = len(self.graph.sent_messages())
		self.post(f.text_webhook(text, wa_id=US))
		f.run_jobs(queues=("short",))
		f.settled(US)
		return self.graph.sent_messages()[before:]

	def conversation(self):
		return frappe.get_last_doc("Chatbot Conversation", filters={"contact": self.contact.name})

	def as_manager(self, function, *args):
		frappe.set_user(self.manager)
		try:
			return function(*args)
		finally:
			frappe.set_user("Administrator")


class TestTakeOver(SteerTestCase):
	def test_the_bot_is_silent_while_a_person_has_the_conversation(self):
		self.assertEqual(len(self.write("hello")), 1)  # the bot answers ("not configured")
		conversation = self.conversation()
		state = self.as_manager(desk.take_over, conversation.name)
		self.assertEqual((state["status"], state["taken_over_by"]), ("Human", self.manager))

		self.assertEqual(self.write("is anybody there?"), [])  # stored, not answered by the bot
		incoming = f.rows("Incoming")[-1]
		self.assertEqual((incoming.text, incoming.status), ("is anybody there?", "Handled by Person"))
		self.assertEqual(incoming.conversation, conversation.name)

		parts = self.as_manager(desk.send_reply, conversation.name, "Hi, this is Ana from sales.")
		self.assertEqual([p.status for p in parts], ["Sent"])
		[sent] = self.graph.sent_messages()[-1:]
		self.assertEqual((sent["to"], sent["text"]["body"]), (US, "Hi, this is Ana from sales."))
		row = frappe.get_doc("Chatbot Message", parts[0].name)
		self.assertEqual(
			(row.direction, row.user, row.conversation), ("Outgoing", self.manager, conversation.name)
		)

		self.as_manager(desk.hand_back, conversation.name)
		self.assertEqual(self.conversation().status, "Open")
		[answer] = self.write("thanks")
		self.assertEqual(answer["text"]["body"], texts.text("not_configured", "en"))

	def test_closed_window_is_reported_to_the_manager(self):
		self.write("hello")
		conversation = self.conversation()
		self.as_manager(desk.take_over, conversation.name)
		frappe.db.set_value(
			"Chatbot Contact", self.contact.name, "last_inbound_at", add_to_date(now_datetime(), hours=-30)
		)
		frappe.db.commit()
		before = len(self.graph.sent_messages())
		[part] = self.as_manager(desk.send_reply, conversation.name, "Are you still there?")
		self.assertEqual(part.status, "Held")  # kept for when the contact writes, not lost
		self.assertIn("24-hour", part.error_message)
		self.assertEqual(len(self.graph.sent_messages()), before)  # Meta never saw it

	def test_meta_error_is_reported_to_the_manager(self):
		self.write("hello")
		conversation = self.conversation()
		self.as_manager(desk.take_over, conversation.name)
		self.graph.fail_next(131026)
		[part] = self.as_manager(desk.send_reply, conversation.name, "Hello?")
		self.assertEqual((part.status, part.error_code), ("Failed", "131026"))
		self.assertIn("Message undeliverable", part.error_message)

	def test_reply_needs_a_taken_over_conversation_and_some_text(self):
		self.write("hello")
		conversation = self.conversation()
		with self.assertRaises(frappe.ValidationError):
			self.as_manager(desk.send_reply, conversation.name, "hi")
		self.as_manager(desk.take_over, conversation.name)
		with self.assertRaises(frappe.ValidationError):
			self.as_manager(desk.send_reply, conversation.name, "   ")
		self.as_manager(desk.hand_back, conversation.name)
		with self.assertRaises(frappe.ValidationError):  # already the bot's
			self.as_manager(desk.hand_back, conversation.name)

	def test_only_managers(self):
		self.write("hello")
		name = self.conversation().name
		frappe.set_user(self.user)
		try:
			for call in (
				lambda: desk.take_over(name),
				lambda: desk.hand_back(name),
				lambda: desk.send_reply(name, "hi"),
				setup.generate_verify_token,
				setup.test_graph_api,
				setup.test_openai,
				setup.preview_staff_contacts,
				lambda: setup.link_staff_contacts([self.user]),
			):
				with self.assertRaises(frappe.PermissionError):
					call()
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(self.conversation().status, "Open")


class TestAskForAPerson(SteerTestCase):
	def notifications(self, conversation: str) -> list:
		return frappe.get_all(
			"Notification Log",
			filters={"document_type": "Chatbot Conversation", "document_name": conversation},
			fields=["for_user", "subject"],
		)

	def test_spanish_request_is_acknowledged_and_managers_are_notified(self):
		[ack] = self.write("quiero hablar con una persona")
		self.assertEqual(ack["text"]["body"], texts.text("person_requested", "es"))
		conversation = self.conversation()
		self.assertEqual(conversation.status, "Waiting")
		self.assertTrue(conversation.person_requested_at)
		notified = self.notifications(conversation.name)
		self.assertIn(self.manager, [n.for_user for n in notified])
		self.assertTrue(all("asks to talk to a person" in n.subject for n in notified))
		# asking again is acknowledged again, without a second round of notifications
		[again] = self.write("/human")
		self.assertEqual(again["text"]["body"], texts.text("person_requested", "es"))
		self.assertEqual(len(self.notifications(conversation.name)), len(notified))
		# the manager takes over from Waiting
		self.assertEqual(self.as_manager(desk.take_over, conversation.name)["status"], "Human")

	def test_english_request(self):
		[ack] = self.write("Can I talk to a human please?")
		self.assertEqual(ack["text"]["body"], texts.text("person_requested", "en"))
		self.assertEqual(self.conversation().status, "Waiting")

	def test_slash_human(self):
		[ack] = self.write("/human")
		self.assertEqual(ack["text"]["body"], texts.text("person_requested", "en"))
		self.assertEqual(self.conversation().status, "Waiting")


class TestLanguageFollowsTheWriter(SteerTestCase):
	def test_a_us_number_writing_spanish_is_answered_in_spanish(self):
		[reply] = self.write("hola, ¿cuánto stock queda del tornillo?")
		self.assertEqual(reply["text"]["body"], texts.text("not_configured", "es"))
		self.assertEqual(frappe.db.get_value("Chatbot Contact", self.contact.name, "language"), "es")
		# a shared location says nothing about language: answered in the one the contact last wrote
		body = f.text_webhook("", wa_id=US)
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		message.update(type="location", location={"latitude": 19.43, "longitude": -99.13})
		before = len(self.graph.sent_messages())
		self.post(body)
		f.run_jobs(queues=("short",))
		f.settled(US)
		[unsupported] = self.graph.sent_messages()[before:]
		self.assertEqual(unsupported["text"]["body"], texts.text("unsupported_type", "es"))

	def test_short_words_keep_the_language(self):
		self.write("how much stock is left?")
		self.assertEqual(frappe.db.get_value("Chatbot Contact", self.contact.name, "language"), "en")
		[reply] = self.write("ok")
		self.assertEqual(reply["text"]["body"], texts.text("not_configured", "en"))


class TestDeskAndBotInBothLanguages(f.ChatbotTestCase):
	def test_desk_strings_come_from_the_apps_spanish_translation_file(self):
		from frappe.translate import clear_cache

		clear_cache()
		previous = frappe.local.lang
		frappe.local.lang = "es"
		try:
			self.assertEqual(frappe._("Take Over"), "Tomar la conversación")
			self.assertEqual(frappe._("Test Graph API"), "Probar Graph API")
			self.assertEqual(
				frappe._("WhatsApp: {0} asks to talk to a person").format("Ana"),
				"WhatsApp: Ana pide hablar con una persona",
			)
		finally:
			frappe.local.lang = previous

	def test_every_built_in_command_has_help_in_both_languages(self):
		from whatsapp_chatbot.tools import catalogue

		missing = sorted(catalogue.builtin_names() - set(texts.COMMAND_HELP))
		self.assertEqual(missing, [], "add these commands to texts.COMMAND_HELP")


class TestHelpInTheContactsLanguage(SteerTestCase):
	def test_help_lines_follow_the_language(self):
		frappe.db.set_value("Chatbot Contact", self.contact.name, "language", "es")
		frappe.db.commit()
		[spanish] = self.write("/help")
		body = spanish["text"]["body"]
		self.assertIn(texts.text("help_header", "es"), body)
		todo_help = i18n.say(texts.COMMAND_HELP["create_todo"], "es")
		self.assertNotEqual(todo_help, texts.COMMAND_HELP["create_todo"])  # translated
		self.assertIn(f"/create_todo description=… — {todo_help}", body)
		self.assertIn("/human — hablar con una persona", body)
		self.assertNotIn("Create a ToDo", body)  # the registry's English description for the model
		frappe.db.set_value("Chatbot Contact", self.contact.name, "language", "en")
		frappe.db.commit()
		[english] = self.write("/help")
		self.assertIn(
			f"/create_todo description=… — {texts.COMMAND_HELP['create_todo']}", english["text"]["body"]
		)
