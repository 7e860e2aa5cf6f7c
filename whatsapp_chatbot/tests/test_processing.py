"""Processing jobs in a real site: who gets an answer, in which language, in which order, once."""

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot import texts
from whatsapp_chatbot.jobs.process_message import process_message
from whatsapp_chatbot.tests import factories as f

MX = "5215512345678"  # Mexico: answered in Spanish
US = "16505551234"  # United States: answered in English


class TestWhoIsAnswered(f.ChatbotTestCase):
	settings = {"unknown_contact_reply": "Este número no está registrado."}

	def test_unknown_number_gets_the_refusal_once_per_day_and_no_data(self):
		self.post(f.text_webhook("¿saldo de Acme?", wa_id=MX))
		self.post(f.text_webhook("¿y el stock?", wa_id=MX))
		f.run_jobs()
		sent = self.graph.sent_messages()
		self.assertEqual([s["text"]["body"] for s in sent], ["Este número no está registrado."])
		self.assertEqual(self.graph.read_receipts(), [])  # not even blue ticks for strangers
		contact = frappe.get_doc("Chatbot Contact", {"wa_id": MX})
		self.assertIsNone(contact.user)
		self.assertEqual([r.status for r in f.rows("Incoming")], ["Ignored", "Ignored"])
		# a day later the refusal may be sent again
		contact.db_set("last_refusal_at", add_to_date(now_datetime(), hours=-25))
		self.post(f.text_webhook("hola otra vez", wa_id=MX))
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 2)

	def test_empty_reply_means_silence(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "unknown_contact_reply", "")
		frappe.db.commit()
		self.post(f.text_webhook("hola", wa_id=MX))
		f.run_jobs()
		self.assertEqual(self.graph.requests, [])
		self.assertEqual(f.rows("Incoming")[0].status, "Ignored")

	def test_disabled_contact_or_user_without_role_is_refused(self):
		no_role = f.make_user("chatbot-norole@example.com", roles=("Sales User",))
		f.make_contact(MX, user=no_role)
		user = f.make_user("chatbot-disabled-contact@example.com")
		f.make_contact(US, user=user, enabled=0)
		self.post(f.text_webhook("hola", wa_id=MX))
		self.post(f.text_webhook("hello", wa_id=US))
		f.run_jobs()
		self.assertEqual(sorted(s["to"] for s in self.graph.sent_messages()), sorted([MX, US]))
		self.assertTrue(
			all(s["text"]["body"] == "Este número no está registrado." for s in self.graph.sent_messages())
		)

	def test_disabled_user_is_refused(self):
		user = f.make_user("chatbot-disabled-user@example.com", enabled=0)
		f.make_contact(MX, user=user)
		self.post(f.text_webhook("hola", wa_id=MX))
		f.run_jobs()
		self.assertEqual(
			[s["text"]["body"] for s in self.graph.sent_messages()], ["Este número no está registrado."]
		)


class TestKnownContact(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		self.user = f.make_user("chatbot-known@example.com")

	def test_marked_read_and_told_not_configured_in_spanish(self):
		f.make_contact(MX, user=self.user)
		self.post(f.text_webhook("¿cuánto stock queda del ítem TORN-M8?", wa_id=MX, wamid="wamid.ES"))
		f.run_jobs()
		self.assertEqual([r["message_id"] for r in self.graph.read_receipts()], ["wamid.ES"])
		[reply] = self.graph.sent_messages()
		self.assertEqual((reply["to"], reply["text"]["body"]), (MX, texts.text("not_configured", "es")))
		incoming, outgoing = f.rows("Incoming")[0], f.rows("Outgoing")[0]
		self.assertEqual(incoming.status, "Answered")
		self.assertEqual(
			(outgoing.status, outgoing.wamid, outgoing.in_reply_to_message),
			("Sent", reply["_wamid"], incoming.name),
		)
		self.assertEqual(outgoing.conversation, incoming.conversation)
		conversation = frappe.get_doc("Chatbot Conversation", incoming.conversation)
		self.assertEqual((conversation.user, conversation.message_count), (self.user, 2))

	def test_language_from_user_then_number(self):
		f.make_contact(US, user=self.user)
		self.post(f.text_webhook("how much stock?", wa_id=US))
		f.run_jobs()
		self.assertEqual(self.graph.sent_messages()[-1]["text"]["body"], texts.text("not_configured", "en"))
		frappe.db.set_value("User", self.user, "language", "es")
		frappe.db.commit()
		self.post(f.text_webhook("¿cuánto stock?", wa_id=US))
		f.run_jobs()
		self.assertEqual(self.graph.sent_messages()[-1]["text"]["body"], texts.text("not_configured", "es"))

	def test_configured_key_does_not_pretend_to_answer(self):
		f.make_settings(self.graph.base_url, openai_api_key="sk-test")
		f.make_contact(US, user=self.user)
		self.post(f.text_webhook("hello", wa_id=US))
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 1)

	def test_sender_without_phone_number(self):
		f.make_contact(None, user=self.user, user_id="US.13491208655302741918")
		body = f.sample("meta_bsuid_text_no_phone.json")
		self.post(body)
		f.run_jobs()
		[reply] = self.graph.sent_messages()
		self.assertEqual(reply["recipient"], "US.13491208655302741918")
		self.assertNotIn("to", reply)

	def test_reactions_and_system_messages_get_no_answer(self):
		f.make_contact("972987654321", user=self.user, user_id="US.13491208655302741918")
		for name in ("pywa_reaction.json", "pywa_revoke.json", "pywa_system_customer_identity_changed.json"):
			body = f.sample(name)
			body["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.{name}"
			self.post(body)
		f.run_jobs()
		self.assertEqual(self.graph.sent_messages(), [])
		self.assertEqual({r.status for r in f.rows("Incoming")}, {"Ignored"})

	def test_unsupported_type_is_explained(self):
		f.make_contact("972987654321", user=self.user, user_id="US.13491208655302741918")
		self.post(f.sample("pywa_location_current.json"))
		f.run_jobs()
		self.assertEqual(self.graph.sent_messages()[0]["text"]["body"], texts.text("unsupported_type", "en"))

	def test_disabled_bot_stores_but_does_not_answer(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "enabled", 0)
		frappe.db.commit()
		f.make_contact(MX, user=self.user)
		self.post(f.text_webhook("hola", wa_id=MX))
		f.run_jobs()
		self.assertEqual(self.graph.requests, [])
		[row] = f.rows("Incoming")
		self.assertEqual(row.status, "Ignored")
		self.assertIn("disabled", row.error_message)


class TestOrderAndOnce(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		f.make_contact(MX, user=f.make_user("chatbot-order@example.com"))

	def test_messages_of_one_contact_are_processed_in_arrival_order(self):
		for index in range(4):
			self.post(f.text_webhook(f"mensaje {index}", wa_id=MX, wamid=f"wamid.ORDER{index}"))
		incoming = f.rows("Incoming")
		f.clear_jobs()
		# the newest message's job runs first (as with two workers): it still answers oldest first
		process_message(incoming[-1].name)
		frappe.db.commit()
		answered = [r["message_id"] for r in self.graph.read_receipts()]
		self.assertEqual(answered, [f"wamid.ORDER{i}" for i in range(4)])
		replies = f.rows("Outgoing")
		self.assertEqual([r.in_reply_to_message for r in replies], [r.name for r in incoming])

	def test_a_second_run_answers_nothing(self):
		self.post(f.text_webhook("hola", wa_id=MX, wamid="wamid.ONCE"))
		[incoming] = f.rows("Incoming")
		f.run_jobs()
		process_message(incoming.name)
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 1)
		self.assertEqual(len(f.rows("Outgoing")), 1)

	def test_contact_is_created_once_and_refreshed(self):
		frappe.db.delete("Chatbot Contact")
		frappe.db.commit()
		self.post(f.text_webhook("uno", wa_id="5491133334444", name="Ana"))
		self.post(f.text_webhook("dos", wa_id="5491133334444", name="Ana María"))
		f.run_jobs()
		[contact] = frappe.get_all(
			"Chatbot Contact", fields=["wa_id", "profile_name", "enabled", "user", "last_inbound_at"]
		)
		self.assertEqual(
			(contact.wa_id, contact.profile_name, contact.enabled, contact.user),
			("5491133334444", "Ana María", 1, None),
		)
		self.assertIsNotNone(contact.last_inbound_at)


class TestDeskRerun(f.ChatbotTestCase):
	def test_only_managers_run_a_failed_message_again(self):
		from whatsapp_chatbot.api.desk import reprocess

		user = f.make_user("chatbot-rerun@example.com")
		manager = f.make_manager()
		f.make_contact(MX, user=user)
		self.post(f.text_webhook("hola", wa_id=MX))
		f.clear_jobs()
		[incoming] = f.rows("Incoming")
		with self.assertRaises(frappe.ValidationError):
			reprocess(incoming.name)  # only Failed or Ignored
		frappe.db.set_value("Chatbot Message", incoming.name, "status", "Failed")  # as give_up leaves it
		frappe.db.commit()
		frappe.set_user(user)
		with self.assertRaises(frappe.PermissionError):
			reprocess(incoming.name)
		frappe.set_user(manager)
		self.assertEqual(reprocess(incoming.name), "Received")
		frappe.set_user("Administrator")
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(f.rows("Incoming")[0].status, "Answered")
		self.assertEqual(len(self.graph.sent_messages()), 1)
