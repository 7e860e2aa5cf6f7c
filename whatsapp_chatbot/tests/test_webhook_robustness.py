"""What any WhatsApp sender (or a second number of the same Meta app) can do to the webhook and the
media download, in a real site: signed batches through the whitelisted endpoint, real RQ jobs, the
Graph stand-in serving media (and a second one on another port playing a host that is not Meta's)."""

from __future__ import annotations

import json
import time

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel.inbox import UNSTORED_TITLE
from whatsapp_chatbot.realtime import side_db
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_graph import FakeGraph

OTHER_NUMBER_ID = "109999999999999"


def _message(wamid: str, wa_id: str, kind: str, content: dict) -> dict:
	return {"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": kind, kind: content}


def _value(messages=(), statuses=(), wa_id: str | None = None, name: str = "Cliente", number=None) -> dict:
	"""One `value` of a webhook as Meta batches it (metadata, contacts, messages, statuses)."""
	value = f.envelope({})["entry"][0]["changes"][0]["value"]
	if number:
		value["metadata"]["phone_number_id"] = number
	if wa_id:
		value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
	if messages:
		value["messages"] = list(messages)
	if statuses:
		value["statuses"] = list(statuses)
	return value


def _batch(*values) -> dict:
	body = f.envelope({})
	body["entry"][0]["changes"] = [{"value": v, "field": "messages"} for v in values]
	return body


def _unstored() -> list[dict]:
	return [
		json.loads(error)
		for error in frappe.get_all("Error Log", filters={"method": UNSTORED_TITLE}, pluck="error")
	]


class TestOneBadItem(f.ChatbotTestCase):
	WA_ID = "5215500011122"

	def test_an_over_long_field_is_cut_and_a_broken_item_costs_nothing_else(self):
		run = frappe.generate_hash(length=8)
		filename = "Cotización " + "x" * 300 + ".pdf"  # 316 characters, the column holds 140
		self.assertGreater(len(filename), 140)
		profile = "Ñ" * 300  # the contact made from it gets the cut name too
		document = _message(
			f"wamid.DOC{run}",
			self.WA_ID,
			"document",
			{"id": "4490001", "mime_type": "application/pdf", "sha256": "abc", "filename": filename},
		)
		text = _message(f"wamid.TXT{run}", self.WA_ID, "text", {"body": "hola \ud800 mundo"})
		sent = {
			"id": f"wamid.OUT{run}",
			"status": "delivered",
			"timestamp": str(int(time.time())),
			"recipient_id": self.WA_ID,
		}
		# a status whose timestamp no date can hold: storing it raises, whatever the code does
		broken = {**sent, "id": f"wamid.BROKEN{run}", "timestamp": "99999999999999999999"}
		flow = _message(
			f"wamid.FLOW{run}",
			self.WA_ID,
			"interactive",
			{"type": "button_reply", "button_reply": {"id": "i" * 400, "title": {"not": "a string"}}},
		)
		response = f.call_webhook(
			"POST",
			_batch(
				_value([document, text, flow], wa_id=self.WA_ID, name=profile),
				_value(statuses=[broken, sent]),
			),
		)
		self.assertEqual(response.status_code, 200, response.get_data(as_text=True))
		frappe.db.rollback()  # only what the request committed counts

		stored = {row.wamid: row for row in f.rows("Incoming")}
		self.assertEqual(set(stored), {f"wamid.DOC{run}", f"wamid.TXT{run}", f"wamid.FLOW{run}"})
		row = stored[f"wamid.DOC{run}"]
		self.assertEqual(row.media_filename, filename[:140])
		self.assertEqual(json.loads(row.payload)["document"]["filename"], filename)  # all of it
		self.assertEqual(row.profile_name, profile[:140])
		self.assertEqual(stored[f"wamid.TXT{run}"].text, "hola ? mundo")
		flow_row = stored[f"wamid.FLOW{run}"]
		self.assertEqual(
			(flow_row.interactive_id, flow_row.text), ("i" * 140, json.dumps({"not": "a string"}))
		)
		self.assertTrue(all(r.status == "Received" for r in stored.values()))
		self.assertEqual(
			{job.kwargs["kwargs"]["message"] for job in f.queued_jobs()}, {r.name for r in stored.values()}
		)
		self.assertEqual(
			frappe.get_all("Chatbot Status Event", filters={"wamid": ("like", f"%{run}")}, pluck="wamid"),
			[f"wamid.OUT{run}"],
		)
		[logged] = _unstored()
		self.assertEqual((logged["kind"], logged["raw"]), ("status", broken))  # Meta's item, as sent
		self.assertIn("OverflowError", logged["error"])  # why: no date that far away

		# the contact is made from the message's (cut) profile name
		f.run_jobs(queues=("short",))
		contact = frappe.get_doc("Chatbot Contact", {"wa_id": self.WA_ID})
		self.assertEqual(contact.profile_name, profile[:140])

		# Meta redelivers the same batch: nothing is stored twice, the broken item is logged again
		self.post(_batch(_value([document, text, flow], wa_id=self.WA_ID), _value(statuses=[broken, sent])))
		self.assertEqual(len(f.rows("Incoming")), 3)
		self.assertEqual(len(_unstored()), 2)

	def test_a_passing_database_error_keeps_the_rest_and_asks_meta_again(self):
		"""A lock held elsewhere (here: the same wamid being inserted by another connection) is no
		fault of the item: its neighbours are stored, and Meta hears 503 so it delivers again."""
		run = frappe.generate_hash(length=8)
		held, free = f"wamid.HELD{run}", f"wamid.FREE{run}"
		body = _batch(
			_value([_message(w, self.WA_ID, "text", {"body": w}) for w in (held, free)], wa_id=self.WA_ID)
		)
		other = side_db.open_connection()  # a second connection, as another web worker has
		try:
			other.sql(
				"insert into `tabChatbot Message` (name, wamid, direction, status) values (%s, %s, 'Incoming', 'Received')",
				(f"held{run}", held),
			)
			waited = frappe.db.sql("select @@session.innodb_lock_wait_timeout")[0][0]
			frappe.db.sql("set session innodb_lock_wait_timeout = 1")
			try:
				response = f.call_webhook("POST", body)
			finally:
				frappe.db.sql(f"set session innodb_lock_wait_timeout = {int(waited)}")
		finally:
			other.rollback()
			other.close()
		self.assertEqual(response.status_code, 503, response.get_data(as_text=True))
		self.assertEqual([row.wamid for row in f.rows("Incoming")], [free])
		[logged] = _unstored()
		self.assertEqual(logged["raw"]["id"], held)
		self.assertIn("QueryTimeoutError", logged["error"])
		# the redelivery stores the held one and not the other twice
		self.post(body)
		self.assertEqual(sorted(row.wamid for row in f.rows("Incoming")), sorted([held, free]))
		self.assertEqual(len(f.queued_jobs()), 2)

	def test_meta_errors_of_odd_shapes_are_logged_and_the_message_kept(self):
		run = frappe.generate_hash(length=8)
		value = _value([_message(f"wamid.OK{run}", self.WA_ID, "text", {"body": "hola"})], wa_id=self.WA_ID)
		value["errors"] = [{"code": 131000, "title": "Something", "error_data": "not an object"}]
		self.post(_batch(value, "not a value"))
		[row] = f.rows("Incoming")
		self.assertEqual(row.wamid, f"wamid.OK{run}")
		logged = frappe.get_all(
			"Error Log", filters={"method": ("like", "WhatsApp webhook error%")}, pluck="error"
		)
		self.assertEqual(len(logged), 2)  # the odd error object and the value that is no object
		self.assertTrue(any("not an object" in error for error in logged))


class TestAnotherBusinessNumber(f.ChatbotTestCase):
	"""Two numbers on one Meta app: the webhook gets both numbers' messages; ours are answered,
	the other's are stored as Ignored and never answered (nor marked read) from ours."""

	WA_ID = "5215500033344"

	def test_a_message_to_another_number_is_stored_and_not_answered(self):
		user = f.make_chat_user("chatbot-other-number@example.com", language="es")
		self.addCleanup(self.drop_user, user)
		f.make_contact(self.WA_ID, user=user, language="es")
		run = frappe.generate_hash(length=8)
		theirs = _message(f"wamid.THEIRS{run}", self.WA_ID, "text", {"body": "hola, ¿me ayudas?"})
		ours = _message(f"wamid.OURS{run}", self.WA_ID, "text", {"body": "hola"})
		self.post(
			_batch(
				_value([theirs], wa_id=self.WA_ID, number=OTHER_NUMBER_ID), _value([ours], wa_id=self.WA_ID)
			)
		)
		f.run_jobs(queues=("short",))
		f.settled(self.WA_ID)

		stored = {row.wamid: row for row in f.rows("Incoming")}
		other = stored[f"wamid.THEIRS{run}"]
		self.assertEqual((other.status, other.phone_number_id), ("Ignored", OTHER_NUMBER_ID))
		self.assertIn(f"another business number (phone_number_id {OTHER_NUMBER_ID})", other.error_message)
		self.assertIn("not answered", other.error_message)
		mine = stored[f"wamid.OURS{run}"]
		self.assertEqual((mine.status, mine.phone_number_id), ("Answered", f.PHONE_NUMBER_ID))
		# one answer reached Meta, to our message; the other was not even marked read
		[reply] = self.graph.sent_messages()
		self.assertEqual(reply["text"]["body"], texts.text("not_configured", "es"))
		self.assertEqual(
			frappe.get_all("Chatbot Message", filters={"direction": "Outgoing"}, pluck="in_reply_to_message"),
			[mine.name],
		)
		self.assertEqual([r["message_id"] for r in self.graph.read_receipts()], [mine.wamid])

	@staticmethod
	def drop_user(user: str) -> None:
		f.clean()  # its contact and messages first
		frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()


class TestMediaDownload(f.InterpreterTestCase):
	"""The media URL Meta's lookup answers gets our token only on Meta's media hosts or on the Graph
	API origin of the Settings; voice notes are held to the media size cap like photos."""

	WA_ID = "5215500055566"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# another loopback port: an address the app was never pointed at, recording what reaches it
		cls.elsewhere = FakeGraph(access_token=f.ACCESS_TOKEN).start()

	@classmethod
	def tearDownClass(cls):
		cls.elsewhere.stop()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		self.elsewhere.reset()
		self.elsewhere.requests.clear()
		self.contact = f.make_contact(self.WA_ID, user=self.sales, language="es")

	def send(self, kind: str, media_id: str, extra: dict | None = None) -> list[dict]:
		content = {"id": media_id, "mime_type": "audio/ogg; codecs=opus" if kind == "audio" else "image/png"}
		content.update(extra or {})
		wamid = f"wamid.MEDIA{frappe.generate_hash(length=10)}"
		before = len(self.graph.sent_messages())
		self.post(_batch(_value([_message(wamid, self.WA_ID, kind, content)], wa_id=self.WA_ID)))
		f.run_jobs(queues=("short",))
		f.settled(self.WA_ID)
		self.message = frappe.get_doc("Chatbot Message", {"wamid": wamid})
		return self.graph.sent_messages()[before:]

	def off_host(self, media_id: str, content: bytes, mime: str) -> None:
		"""Meta's lookup answers a URL on the other server, which would serve the bytes to our token."""
		self.elsewhere.add_media(media_id, content, mime)
		self.graph.add_media(media_id, content, mime, url=f"{self.elsewhere.base_url}/media-bytes/{media_id}")

	def assert_nothing_reached_elsewhere(self) -> None:
		self.assertEqual(self.elsewhere.requests, [])
		self.assertFalse(any(r.path.startswith("/media-bytes/") for r in self.graph.requests))

	def test_a_photo_whose_url_is_off_meta_is_refused_without_a_request(self):
		media_id = "880001" + frappe.generate_hash(length=6).encode().hex()[:6]
		self.off_host(media_id, b"\x89PNG\r\n\x1a\n" + bytes(2000), "image/png")
		[reply] = self.send("image", media_id)
		self.assert_nothing_reached_elsewhere()
		self.assertEqual(reply["text"]["body"], texts.text("media_not_downloaded", "es"))
		self.assertIn(f"media URL on {self.elsewhere.base_url} refused", self.message.error_message)
		self.assertFalse(self.message.media_file)
		self.assertFalse(frappe.db.exists("File", {"attached_to_name": self.message.name}))
		self.assertEqual([r for r in self.openai.requests if "messages" in r], [])

	def test_a_voice_note_whose_url_is_off_meta_is_refused_without_a_request(self):
		media_id = "880002" + frappe.generate_hash(length=6).encode().hex()[:6]
		self.off_host(media_id, b"OggS\x00\x02fake-opus-audio", "audio/ogg")
		[reply] = self.send("audio", media_id, {"voice": True})
		self.assert_nothing_reached_elsewhere()
		self.assertEqual(reply["text"]["body"], texts.text("media_not_downloaded", "es"))
		self.assertEqual(self.message.status, "Failed")
		self.assertIn("refused", self.message.error_message)
		self.assertFalse([r for r in self.openai.requests if r.get("path", "").endswith("/transcriptions")])

	def test_a_voice_note_over_the_media_cap_is_not_downloaded(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "max_media_mb", 1)
		frappe.db.commit()
		self.openai.state.transcript = "esto no debería transcribirse"
		# announced over the cap: not a byte is fetched
		announced = "880003" + frappe.generate_hash(length=6).encode().hex()[:6]
		self.graph.add_media(announced, b"OggS" + bytes(2 * 1024 * 1024), "audio/ogg")
		[reply] = self.send("audio", announced, {"voice": True})
		self.assertEqual(reply["text"]["body"], texts.text("voice_too_long", "es"))
		self.assertEqual(self.message.status, "Failed")
		self.assertIn("1048576-byte cap", self.message.error_message)
		self.assertNotIn(announced, self.graph.served)
		# announced small, sent big: reading stops at the cap and the connection is dropped
		lying = "880004" + frappe.generate_hash(length=6).encode().hex()[:6]
		big = b"OggS" + bytes(40 * 1024 * 1024)
		self.graph.add_media(lying, big, "audio/ogg", file_size=4000)
		[reply] = self.send("audio", lying, {"voice": True})
		self.assertEqual(reply["text"]["body"], texts.text("voice_too_long", "es"))
		self.graph.wait_for(lambda g: lying in g.served, timeout=10)
		self.assertLess(self.graph.served[lying], len(big) // 2)
		self.assertFalse([r for r in self.openai.requests if r.get("path", "").endswith("/transcriptions")])
