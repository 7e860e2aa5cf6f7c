"""A conversation's Messages counter (Chatbot Conversation.message_count) is the number of messages it
holds, incoming and outgoing, whoever stored them: the bot's refusal and apology, a manager's reply
in parts, a message processed again by the Desk's Re-run; a deleted message no longer counts; the
patch counts old conversations again."""

from __future__ import annotations

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.api import desk
from whatsapp_chatbot.patches import recount_conversation_messages
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import fail, say

CONVERSATION = "Chatbot Conversation"
MESSAGE = "Chatbot Message"
MX = "5215512345678"


def counted(conversation: str) -> tuple[int, int]:
	"""(the counter, the messages stored in the conversation)"""
	return (
		frappe.db.get_value(CONVERSATION, conversation, "message_count"),
		frappe.db.count(MESSAGE, {"conversation": conversation}),
	)


def conversation_of(wa_id: str) -> str:
	contact = frappe.db.get_value("Chatbot Contact", {"wa_id": wa_id})
	return frappe.db.get_value(CONVERSATION, {"contact": contact}, "name", order_by="creation desc")


class TestCountedAsStored(f.ChatbotTestCase):
	settings = {"unknown_contact_reply": "Este número no está registrado."}

	def test_the_refusal_counts_beside_the_message_it_answers(self):
		self.post(f.text_webhook("¿saldo de Acme?", wa_id=MX))
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 1)
		self.assertEqual(counted(conversation_of(MX)), (2, 2))

	def test_a_managers_reply_in_parts_counts_each_part_and_a_deleted_message_uncounts(self):
		user = f.make_user(f"chatbot-count-{frappe.generate_hash(length=6)}@example.com")
		f.make_contact(MX, user=user)
		self.post(f.text_webhook("¿hay alguien?", wa_id=MX))
		f.run_jobs()
		conversation = conversation_of(MX)
		self.assertEqual(counted(conversation), (2, 2))  # the message and the "not configured" reply
		frappe.set_user(f.make_manager())
		desk.take_over(conversation)
		parts = desk.send_reply(conversation, "Hola, soy Ana. " * 300)  # 4,500 characters: two parts
		frappe.set_user("Administrator")
		self.assertEqual(len(parts), 2)
		self.assertEqual(counted(conversation), (4, 4))
		frappe.delete_doc(MESSAGE, parts[-1]["name"], ignore_permissions=True)
		frappe.db.commit()
		self.assertEqual(counted(conversation), (3, 3))

	def test_the_patch_counts_old_conversations_again(self):
		user = f.make_user(f"chatbot-count-{frappe.generate_hash(length=6)}@example.com")
		f.make_contact(MX, user=user)
		self.post(f.text_webhook("hola", wa_id=MX))
		f.run_jobs()
		conversation = conversation_of(MX)
		empty = frappe.get_doc(
			{"doctype": CONVERSATION, "contact": frappe.db.get_value("Chatbot Contact", {"wa_id": MX})}
		).insert(ignore_permissions=True)
		# as the old code left them: a count of turns, and a count without rows
		frappe.db.set_value(CONVERSATION, conversation, "message_count", 7)
		frappe.db.set_value(CONVERSATION, empty.name, "message_count", 3)
		recount_conversation_messages.execute()
		self.assertEqual(counted(conversation), (2, 2))
		self.assertEqual(counted(empty.name), (0, 0))


class TestCountedThroughTheModel(f.InterpreterTestCase):
	def test_the_apology_and_a_rerun_count_once_each(self):
		self.openai.script(fail(500))
		[apology] = self.say("¿stock de TORN-M8?")
		self.assertEqual(self.body(apology), texts.text("assistant_unavailable", "es"))
		conversation = conversation_of(self.MX)
		self.assertEqual(counted(conversation), (2, 2))
		# the Desk's Re-run processes the same message again: it is not counted a second time
		incoming = f.rows("Incoming", conversation=conversation)[-1]
		self.openai.script(say("Quedan 150."))
		frappe.set_user(f.make_manager())
		desk.reprocess(incoming.name)
		frappe.set_user("Administrator")
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(self.body(self.graph.sent_messages()[-1]), "Quedan 150.")
		self.assertEqual(counted(conversation), (3, 3))
