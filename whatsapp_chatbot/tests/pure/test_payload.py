import json
import unittest
from pathlib import Path

from whatsapp_chatbot.channel.payload import MAX_BODY_BYTES, PayloadError, parse_webhook

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def sample(name: str) -> bytes:
	return (SAMPLES / name).read_bytes()


class TestEverySample(unittest.TestCase):
	def test_manifest_matches_what_is_parsed(self):
		manifest = json.loads(sample("MANIFEST.json"))
		self.assertGreaterEqual(len(manifest), 50)
		for item in manifest:
			with self.subTest(file=item["file"]):
				parsed = parse_webhook(sample(item["file"]))
				self.assertEqual([m.message_type for m in parsed.messages], item.get("message_types", []))
				self.assertEqual([s.status for s in parsed.statuses], item.get("statuses", []))
				for message in parsed.messages:
					self.assertTrue(message.wamid)
					self.assertTrue(message.sender_key, "every message has a sender")
					self.assertIsInstance(message.timestamp, int)
				self.assertEqual([e.code for e in parsed.errors], item.get("value_errors", []))
				self.assertEqual(
					[m.error_code for m in parsed.messages if m.error_code], item.get("message_errors", [])
				)
				self.assertEqual(
					[s.error_code for s in parsed.statuses if s.error_code], item.get("status_errors", [])
				)
				if item.get("from_missing"):
					self.assertTrue(all(m.sender_wa_id is None and m.sender_user_id for m in parsed.messages))


class TestMessageContent(unittest.TestCase):
	def one(self, name):
		parsed = parse_webhook(sample(name))
		self.assertEqual(len(parsed.messages), 1)
		return parsed.messages[0]

	def test_text(self):
		m = self.one("meta_text.json")
		self.assertEqual(
			(m.text, m.sender_wa_id, m.sender_name, m.timestamp),
			("Does it come in another color?", "16505551234", "Sheena Nelson", 1749416383),
		)
		self.assertEqual(m.phone_number_id, "106540352242922")

	def test_sender_without_phone_number(self):
		m = self.one("meta_bsuid_text_no_phone.json")
		self.assertIsNone(m.sender_wa_id)
		self.assertEqual(m.sender_user_id, "US.13491208655302741918")
		self.assertEqual(m.sender_key, "US.13491208655302741918")
		self.assertEqual(m.sender_name, "Sheena Nelson")

	def test_reply_context_and_forwarding(self):
		self.assertEqual(self.one("pywa_text_reply_with_context.json").reply_to, "wamid.xyzxyz==")
		self.assertTrue(self.one("pywa_text_forwarded.json").forwarded)
		self.assertTrue(self.one("pywa_text_frequently_forwarded.json").forwarded)
		self.assertFalse(self.one("pywa_text.json").forwarded)

	def test_media(self):
		voice = self.one("pywa_audio_voice_note.json")
		self.assertEqual(
			(voice.media_id, voice.media_mime_type, voice.is_voice),
			("1234567890987654321", "audio/ogg; codecs=opus", True),
		)
		self.assertFalse(self.one("pywa_audio_file_forwarded.json").is_voice)
		doc = self.one("meta_document.json")
		self.assertEqual(
			(doc.media_id, doc.media_filename, doc.text, doc.media_mime_type),
			("622684793477189", "receipt.pdf", "my receipt", "application/pdf"),
		)
		self.assertEqual(self.one("pywa_video.json").text, "caption")
		self.assertEqual(self.one("pywa_image.json").media_id, "65463453")
		self.assertEqual(self.one("pywa_sticker_animated.json").media_mime_type, "image/webp")

	def test_location(self):
		here = self.one("pywa_location_current.json")
		self.assertEqual((here.latitude, here.longitude), (12.25089, 43.90539))
		place = self.one("pywa_location_named_place.json")
		self.assertEqual(place.text, "Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025")

	def test_contacts_card(self):
		self.assertEqual(
			self.one("pywa_contacts.json").text.splitlines()[0], "Chandler Bing: +1 555-555-5555"
		)

	def test_reactions(self):
		reaction = self.one("pywa_reaction.json")
		self.assertEqual((reaction.text, reaction.reply_to), ("😮", "wamid.yzxyzx="))
		self.assertEqual(self.one("pywa_reaction_removed_no_emoji.json").text, "")
		self.assertEqual(self.one("pywa_reaction_removed_empty_emoji.json").text, "")

	def test_interactive_replies(self):
		button = self.one("meta_interactive_button_reply.json")
		self.assertEqual((button.interactive_id, button.text), ("change-button", "Change"))
		self.assertTrue(button.reply_to.startswith("wamid."))
		row = self.one("meta_interactive_list_reply.json")
		self.assertEqual((row.interactive_id, row.text), ("priority_express", "Priority Mail Express"))
		template_button = self.one("pywa_template_quick_reply_button.json")
		self.assertEqual(
			(template_button.message_type, template_button.interactive_id, template_button.text),
			("button", "callback_data", "title"),
		)
		flow = self.one("pywa_interactive_nfm_reply_flow.json")
		self.assertEqual(json.loads(flow.text)["delivery_rating"], "4")

	def test_order(self):
		self.assertEqual(
			self.one("pywa_order.json").text.splitlines(),
			["3 x HAMBURGER @ 30 ILS", "2 x FRENCH_FRIES @ 35 ILS", "2 x SODA @ 10 ILS"],
		)

	def test_edit_revoke_unsupported_system(self):
		edit = self.one("pywa_edit_image.json")
		self.assertEqual((edit.text, edit.media_id), ("Updated image caption", "1234567890"))
		self.assertEqual(edit.reply_to, "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=")
		self.assertEqual(self.one("pywa_revoke.json").reply_to, "<ORIGINAL_WHATSAPP_MESSAGE_ID>")
		unsupported = self.one("meta_unsupported_edit.json")
		self.assertEqual((unsupported.error_code, unsupported.text), (131051, "edit"))
		self.assertIn("not supported", unsupported.error_message)
		self.assertEqual(
			self.one("pywa_system_user_changed_number.json").text,
			"User A changed from 972987654321 to 972912345678",
		)


class TestStatusesAndErrors(unittest.TestCase):
	def test_failed_status_carries_meta_error(self):
		status = parse_webhook(sample("meta_status_failed_131049.json")).statuses[0]
		self.assertEqual(
			(status.status, status.error_code, status.recipient_wa_id), ("failed", 131049, "16505551234")
		)
		self.assertIn("healthy ecosystem", status.error_message)

	def test_status_to_business_scoped_id(self):
		status = parse_webhook(sample("meta_bsuid_status_delivered_no_phone.json")).statuses[0]
		self.assertIsNone(status.recipient_wa_id)
		self.assertEqual(status.recipient_user_id, "US.13491208655302741918")

	def test_value_level_errors(self):
		parsed = parse_webhook(sample("meta_value_errors_130429.json"))
		self.assertEqual(
			[(e.code, e.message) for e in parsed.errors],
			[
				(
					130429,
					"Rate limit hit: Message failed to send because there were too many messages sent from this phone number in a short period of time",
				)
			],
		)


class TestBatchesAndBadInput(unittest.TestCase):
	def test_batch_of_entries_and_changes_is_read_whole(self):
		bodies = [
			json.loads(sample(n))
			for n in ("meta_text.json", "pywa_status_read.json", "meta_value_errors_130429.json")
		]
		batch = {
			"object": "whatsapp_business_account",
			"entry": [
				{"id": "1", "changes": [c for b in bodies[:2] for c in b["entry"][0]["changes"]]},
				{
					"id": "2",
					"changes": bodies[2]["entry"][0]["changes"] + [{"field": "account_update", "value": {}}],
				},
			],
		}
		parsed = parse_webhook(json.dumps(batch).encode())
		self.assertEqual((len(parsed.messages), len(parsed.statuses), len(parsed.errors)), (1, 1, 1))
		self.assertEqual(parsed.ignored_fields, ["account_update"])

	def test_a_broken_item_does_not_hide_the_rest(self):
		body = json.loads(sample("meta_text.json"))
		value = body["entry"][0]["changes"][0]["value"]
		value["messages"].insert(0, {"type": "text", "text": {"body": "no id, no sender"}})
		value["statuses"] = [{"id": "wamid.S", "status": "read", "timestamp": "1"}, {"status": "read"}]
		parsed = parse_webhook(json.dumps(body).encode())
		self.assertEqual([m.text for m in parsed.messages], ["Does it come in another color?"])
		self.assertEqual([s.wamid for s in parsed.statuses], ["wamid.S"])
		self.assertEqual(len(parsed.errors), 2)

	def test_bad_bodies(self):
		for body in (
			b"not json",
			b"[]",
			b'{"object": "page", "entry": []}',
			b'{"object": "whatsapp_business_account"}',
			b"\xff\xfe",
		):
			with self.subTest(body=body):
				with self.assertRaises(PayloadError):
					parse_webhook(body)
		with self.assertRaises(PayloadError):
			parse_webhook(b" " * (MAX_BODY_BYTES + 1))

	def test_unicode_is_kept(self):
		body = json.loads(sample("meta_text.json"))
		body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = (
			"¿cuánto stock queda del ítem TORN-M8? 🔩"
		)
		raw = json.dumps(body).encode()  # escaped unicode, as Meta sends it
		self.assertEqual(parse_webhook(raw).messages[0].text, "¿cuánto stock queda del ítem TORN-M8? 🔩")


if __name__ == "__main__":
	unittest.main()
