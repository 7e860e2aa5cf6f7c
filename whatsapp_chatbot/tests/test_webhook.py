"""The webhook endpoint in a real site: verification, signatures, storage, duplicates."""

import json

import frappe

from whatsapp_chatbot.tests import factories as f


class TestVerification(f.ChatbotTestCase):
	def get(self, **query):
		return f.call_webhook("GET", query=query)

	def test_right_token_returns_bare_challenge(self):
		response = self.get(
			**{"hub.mode": "subscribe", "hub.verify_token": f.VERIFY_TOKEN, "hub.challenge": "1158201444"}
		)
		self.assertEqual((response.status_code, response.get_data(as_text=True)), (200, "1158201444"))

	def test_anything_else_is_403(self):
		for query in (
			{"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
			{"hub.mode": "unsubscribe", "hub.verify_token": f.VERIFY_TOKEN, "hub.challenge": "1"},
			{"hub.mode": "subscribe", "hub.challenge": "1"},
			{},
		):
			with self.subTest(query=query):
				response = self.get(**query)
				self.assertEqual(response.status_code, 403)
				self.assertNotIn("1", response.get_data(as_text=True))


class TestSignedDelivery(f.ChatbotTestCase):
	def test_missing_signature_is_401_and_stores_nothing(self):
		raw = json.dumps(f.text_webhook("hola")).encode()
		response = f.call_webhook("POST", raw, {"Content-Type": "application/json"})
		self.assertEqual(response.status_code, 401)
		self.assertEqual(f.rows(), [])
		self.assertEqual(f.queued_jobs(), [])

	def test_wrong_signature_is_403_and_stores_nothing(self):
		body = f.text_webhook("hola")
		for raw, headers in (
			f.signed(body, secret="not-the-secret"),
			(json.dumps(body).encode() + b" ", f.signed(body)[1]),  # body changed after signing
			(json.dumps(body).encode(), {"X-Hub-Signature-256": "sha256=deadbeef"}),
		):
			response = f.call_webhook("POST", raw, headers)
			self.assertEqual(response.status_code, 403)
		self.assertEqual(f.rows(), [])

	def test_no_app_secret_configured_refuses_everything(self):
		settings = frappe.get_single("WhatsApp Chatbot Settings")
		settings.enabled = 0
		settings.save(ignore_permissions=True)
		frappe.db.delete("__Auth", {"doctype": "WhatsApp Chatbot Settings", "fieldname": "app_secret"})
		response = f.call_webhook("POST", *f.signed(f.text_webhook("hola"), secret=""))
		self.assertEqual(response.status_code, 403)

	def test_signed_garbage_is_400(self):
		for raw in (b"not json", b'{"object": "page", "entry": []}', b"[1, 2]"):
			with self.subTest(raw=raw):
				response = f.call_webhook("POST", *f.signed(raw))
				self.assertEqual(response.status_code, 400)
		self.assertEqual(f.rows(), [])

	def test_body_over_3_mb_is_refused(self):
		raw = (
			b'{"object": "whatsapp_business_account", "entry": [], "pad": "'
			+ b"x" * (3 * 1024 * 1024)
			+ b'"}'
		)
		response = f.call_webhook("POST", *f.signed(raw))
		self.assertEqual(response.status_code, 413)

	def test_stored_before_acknowledged_with_one_job(self):
		body = f.text_webhook("¿cuánto stock queda del ítem TORN-M8?", wamid="wamid.ONE")
		self.post(body)
		frappe.db.rollback()  # only what was committed counts
		[row] = f.rows("Incoming")
		self.assertEqual(
			(row.wamid, row.status, row.message_type, row.text),
			("wamid.ONE", "Received", "text", "¿cuánto stock queda del ítem TORN-M8?"),
		)
		self.assertEqual(
			(row.wa_id, row.sender_key, row.profile_name), ("5215512345678", "5215512345678", "Cliente")
		)
		[job] = f.queued_jobs()
		self.assertEqual(job.kwargs["kwargs"], {"message": row.name})
		self.assertEqual(job.kwargs["method"], "whatsapp_chatbot.jobs.process_message.process_message")

	def test_redelivery_gives_one_row_and_one_job(self):
		body = f.text_webhook("hola", wamid="wamid.DUP")
		for _ in range(5):
			self.post(body)
		self.assertEqual(len(f.rows("Incoming")), 1)
		self.assertEqual(len(f.queued_jobs()), 1)

	def test_raw_payload_keeps_no_secret(self):
		self.post(f.text_webhook("hola", wamid="wamid.SECRET"))
		[row] = f.rows("Incoming")
		stored = json.dumps(row, default=str)
		for secret in (f.APP_SECRET, f.ACCESS_TOKEN, f.VERIFY_TOKEN, "sha256="):
			self.assertNotIn(secret, stored)
		self.assertEqual(json.loads(row.payload)["text"]["body"], "hola")


class TestEverySampleIsStored(f.ChatbotTestCase):
	def test_messages_of_every_type(self):
		manifest = json.loads((f.SAMPLES / "MANIFEST.json").read_text())
		expected_types = {}
		for item in manifest:
			body = f.sample(item["file"])
			# pywa samples share wamids; give each its own so every type gets a row
			for entry in body["entry"]:
				for change in entry["changes"]:
					for message in change["value"].get("messages", []):
						message["id"] = f"{message['id']}:{item['file']}"
						expected_types[message["id"]] = message.get("type")
			self.post(body)
		stored = {row.wamid: row for row in f.rows("Incoming")}
		self.assertEqual({w: r.message_type for w, r in stored.items()}, expected_types)
		self.assertGreaterEqual(len({r.message_type for r in stored.values()}), 15)

		def by_file(name):
			return next(r for w, r in stored.items() if w.endswith(":" + name))

		self.assertEqual(by_file("pywa_audio_voice_note.json").is_voice, 1)
		self.assertEqual(by_file("pywa_audio_voice_note.json").media_mime_type, "audio/ogg; codecs=opus")
		self.assertEqual(by_file("meta_document.json").media_filename, "receipt.pdf")
		self.assertAlmostEqual(by_file("pywa_location_current.json").latitude, 12.25089, places=5)
		self.assertEqual(by_file("pywa_reaction.json").reply_to, "wamid.yzxyzx=")
		self.assertEqual(by_file("meta_interactive_list_reply.json").interactive_id, "priority_express")
		self.assertEqual(by_file("meta_unsupported_edit.json").error_code, "131051")
		bsuid = by_file("meta_bsuid_text_no_phone.json")
		self.assertEqual(
			(bsuid.wa_id, bsuid.user_id, bsuid.sender_key),
			(None, "US.13491208655302741918", "US.13491208655302741918"),
		)
		self.assertEqual(len(f.queued_jobs()), len(expected_types))

	def test_statuses_errors_and_unknown_ids_in_one_batch(self):
		contact = f.make_contact("16505551234")
		sent = frappe.get_doc(
			{
				"doctype": "Chatbot Message",
				"direction": "Outgoing",
				"status": "Sent",
				"contact": contact.name,
				"wamid": "wamid.KNOWN",
				"message_type": "text",
				"text": "hola",
			}
		).insert(ignore_permissions=True)
		batch = f.status_webhook("wamid.UNKNOWN", "delivered")
		batch["entry"][0]["changes"].append(
			f.status_webhook("wamid.KNOWN", "read", "16505551234")["entry"][0]["changes"][0]
		)
		batch["entry"].append(f.sample("meta_value_errors_130429.json")["entry"][0])
		batch["entry"].append(f.sample("meta_status_failed_131049.json")["entry"][0])
		self.post(batch)
		self.assertEqual(frappe.db.get_value("Chatbot Message", sent.name, "status"), "Read")
		unknown = frappe.get_all(
			"Chatbot Status Event", filters={"wamid": "wamid.UNKNOWN"}, fields=["status", "applied"]
		)
		self.assertEqual(unknown, [{"status": "delivered", "applied": 0}])
		failed = frappe.get_all(
			"Chatbot Status Event", filters={"status": "failed"}, fields=["error_code", "error_message"]
		)
		self.assertEqual(failed[0].error_code, "131049")
		self.assertTrue(frappe.db.exists("Error Log", {"method": "WhatsApp webhook error 130429"}))
		# the same statuses again change nothing and add nothing
		self.post(batch)
		self.assertEqual(frappe.db.count("Chatbot Status Event"), 3)
