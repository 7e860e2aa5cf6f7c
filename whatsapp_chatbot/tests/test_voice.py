"""Voice notes: media downloaded from (fake) Meta with the token, transcribed by (fake) OpenAI
through the SDK, then handled like typed text."""

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, from_request, last_tool_result, say

VOICE_MEDIA_ID = "1234567890987654321"  # the id in the pywa voice-note sample


class TestVoiceNotes(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		f.make_contact("972987654321", user=self.sales, user_id="US.13491208655302741918", language="es")
		self.graph.add_media(VOICE_MEDIA_ID, b"OggS\x00\x02fake-opus-audio", "audio/ogg; codecs=opus")

	def test_voice_note_becomes_a_command(self):
		self.openai.state.transcript = "¿cuánto stock queda del ítem TORN-M8?"
		self.openai.script(
			call("stock_balance", {"item": "TORN-M8", "warehouse": None}),
			from_request(lambda r: say("Quedan " + last_tool_result(r)[:40])),
		)
		self.post(f.sample("pywa_audio_voice_note.json"))
		f.run_jobs(queues=("short",))
		[reply] = self.graph.sent_messages()
		self.assertTrue(reply["text"]["body"].startswith("Quedan "))
		upload = next(r for r in self.openai.requests if r.get("path", "").endswith("/audio/transcriptions"))
		self.assertGreater(upload["bytes"], 0)
		self.assertTrue(
			any(
				r.path.startswith("/media-bytes/")
				and r.headers["Authorization"] == f"Bearer {f.ACCESS_TOKEN}"
				for r in self.graph.requests
			)
		)
		message = f.rows("Incoming")[0]
		self.assertEqual(
			(message.transcript, message.status), ("¿cuánto stock queda del ítem TORN-M8?", "Answered")
		)
		chat_request = next(r for r in self.openai.requests if "messages" in r)
		self.assertEqual(chat_request["messages"][-1]["content"], "¿cuánto stock queda del ítem TORN-M8?")
		self.assertEqual(frappe.get_last_doc("Chatbot Command").command, "stock_balance")

	def test_media_that_cannot_be_fetched_ends_in_an_apology(self):
		self.graph.fail_next(None, http_status=500, path="/media-bytes/", times=1)
		self.graph.fail_next(131000, times=5, path=VOICE_MEDIA_ID)
		self.post(f.sample("pywa_audio_voice_note.json"))
		f.run_jobs(queues=("short",))
		[reply] = self.graph.sent_messages()
		self.assertEqual(reply["text"]["body"], texts.text("assistant_unavailable", "es"))
		self.assertEqual(f.rows("Incoming")[0].status, "Failed")

	def test_asking_for_a_person_out_loud(self):
		self.openai.state.transcript = "Quiero hablar con una persona, por favor"
		self.post(f.sample("pywa_audio_voice_note.json"))
		f.run_jobs(queues=("short",))
		[reply] = self.graph.sent_messages()
		self.assertEqual(reply["text"]["body"], texts.text("person_requested", "es"))
		message = f.rows("Incoming")[0]
		self.assertEqual(
			frappe.db.get_value("Chatbot Conversation", message.conversation, "status"), "Waiting"
		)
		self.assertFalse([r for r in self.openai.requests if "messages" in r])  # no model involved
		frappe.db.delete("Notification Log", {"document_type": "Chatbot Conversation"})
		frappe.db.commit()
