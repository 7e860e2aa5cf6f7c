import unittest

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel import errors, outgoing, signature


class TestSignature(unittest.TestCase):
	body = b'{"object":"whatsapp_business_account","entry":[]}'

	def test_valid_signature(self):
		self.assertTrue(signature.is_valid("s3cret", self.body, signature.sign("s3cret", self.body)))

	def test_known_digest(self):
		# HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a published test vector
		digest = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
		self.assertTrue(
			signature.is_valid("key", b"The quick brown fox jumps over the lazy dog", "sha256=" + digest)
		)

	def test_rejections(self):
		good = signature.sign("s3cret", self.body)
		for secret, body, header in (
			("other", self.body, good),
			("s3cret", self.body + b" ", good),
			("s3cret", self.body, None),
			("s3cret", self.body, ""),
			("s3cret", self.body, good.replace("sha256=", "sha1=")),
			("s3cret", self.body, "sha256=" + "0" * 64),
			("", self.body, signature.sign("", self.body)),  # no secret configured: refuse everything
		):
			with self.subTest(secret=secret, header=header):
				self.assertFalse(signature.is_valid(secret, body, header))


class TestSplitText(unittest.TestCase):
	def test_short_text_is_one_part(self):
		self.assertEqual(outgoing.split_text("hola"), ["hola"])
		self.assertEqual(outgoing.split_text("   "), [])

	def test_splits_at_line_breaks_within_limit(self):
		lines = [f"línea {i}: " + "x" * 90 for i in range(100)]
		parts = outgoing.split_text("\n".join(lines))
		self.assertGreater(len(parts), 1)
		self.assertTrue(all(len(p) <= outgoing.TEXT_LIMIT for p in parts))
		self.assertEqual("\n".join(parts).splitlines(), lines)  # nothing lost, no line cut

	def test_splits_at_sentences_then_words(self):
		text = " ".join(["Esta es una frase corta."] * 400)
		parts = outgoing.split_text(text)
		self.assertTrue(all(p.endswith(".") for p in parts))
		self.assertEqual(" ".join(parts), text)
		words = " ".join(["palabra"] * 1500)
		self.assertEqual(" ".join(outgoing.split_text(words)), words)

	def test_unbroken_run_is_cut_hard(self):
		parts = outgoing.split_text("a" * 9000)
		self.assertEqual([len(p) for p in parts], [4096, 4096, 808])


class TestBuilders(unittest.TestCase):
	def test_text_and_address(self):
		body = outgoing.text("hola")
		self.assertEqual(
			outgoing.address(body, wa_id="34600"),
			{
				"messaging_product": "whatsapp",
				"recipient_type": "individual",
				"to": "34600",
				"type": "text",
				"text": {"body": "hola", "preview_url": False},
			},
		)
		self.assertEqual(outgoing.address(body, user_id="US.1")["recipient"], "US.1")
		self.assertNotIn("recipient", outgoing.address(body, wa_id="1", user_id="US.1"))
		with self.assertRaises(ValueError):
			outgoing.address(body)
		with self.assertRaises(outgoing.MessageTooLarge):
			outgoing.text("x" * 4097)

	def test_buttons(self):
		body = outgoing.buttons(
			"¿Confirmas?", [("yes:1", "Confirmar"), ("no:1", "Cancelar")], footer="ref CMD-1"
		)
		self.assertEqual(
			[b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]], ["Confirmar", "Cancelar"]
		)
		self.assertEqual(outgoing.summary(body), "¿Confirmas?\n[Confirmar] | [Cancelar]")
		for choices in (
			[],
			[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")],
			[("a", "x" * 21)],
			[("a", "Same"), ("b", "Same")],
		):
			with self.subTest(choices=choices):
				with self.assertRaises(ValueError):
					outgoing.buttons("body", choices)

	def test_list(self):
		body = outgoing.choice_list(
			"Elige",
			"Ver",
			[("Almacenes", [("wh:1", "Stores - CTC", "120 uds"), ("wh:2", "Finished Goods", None)])],
		)
		rows = body["interactive"]["action"]["sections"][0]["rows"]
		self.assertEqual(rows[0], {"id": "wh:1", "title": "Stores - CTC", "description": "120 uds"})
		self.assertNotIn("description", rows[1])
		with self.assertRaises(outgoing.MessageTooLarge):
			outgoing.choice_list("b", "v", [("s", [(str(i), str(i), None) for i in range(11)])])

	def test_document_template_mark_read(self):
		self.assertEqual(
			outgoing.document("m1", "r.pdf", "Informe")["document"],
			{"id": "m1", "filename": "r.pdf", "caption": "Informe"},
		)
		self.assertEqual(
			outgoing.template("hello", "es")["template"], {"name": "hello", "language": {"code": "es"}}
		)
		self.assertEqual(
			outgoing.mark_read("wamid.1"),
			{
				"messaging_product": "whatsapp",
				"status": "read",
				"message_id": "wamid.1",
				"typing_indicator": {"type": "text"},
			},
		)


class TestErrors(unittest.TestCase):
	def test_classification_by_code(self):
		for code in (4, 80007, 130429, 131056):
			self.assertTrue(errors.from_response(400, {"error": {"code": code, "message": "x"}}).retryable)
		window = errors.from_response(400, {"error": {"code": 131047, "message": "Re-engagement message"}})
		self.assertTrue(window.outside_window)
		self.assertFalse(window.retryable)
		token = errors.from_response(401, {"error": {"code": 190, "message": "Invalid OAuth access token"}})
		self.assertTrue(token.invalid_token)
		self.assertFalse(token.retryable)
		self.assertFalse(
			errors.from_response(400, {"error": {"code": 100, "message": "Invalid parameter"}}).retryable
		)
		self.assertTrue(errors.from_response(503, None).retryable)
		self.assertTrue(errors.GraphError("timed out").retryable)

	def test_backoff_is_powers_of_four(self):
		self.assertEqual([errors.backoff_seconds(n) for n in range(1, 6)], [1, 4, 16, 64, 256])
		self.assertEqual(errors.backoff_seconds(20), 3600)


class TestTexts(unittest.TestCase):
	def test_language_guess_from_number(self):
		self.assertEqual(texts.guess_language("5215512345678"), "es")
		self.assertEqual(texts.guess_language("34600111222"), "es")
		self.assertEqual(texts.guess_language("18095551234"), "es")
		self.assertIsNone(texts.guess_language("16505551234"))
		self.assertIsNone(texts.guess_language(None))

	def test_texts_in_both_languages(self):
		# a layout of placeholders, or a word Spanish shares with English, reads the same in both
		same_in_spanish = {"subscription_what", "subscription_header", "approval_total"}
		for key in texts.TEXTS:
			if key not in same_in_spanish:
				self.assertNotEqual(texts.text(key, "es"), texts.text(key, "en"), key)
			self.assertEqual(texts.text(key, "es-MX"), texts.text(key, "es"))
			self.assertEqual(texts.text(key, "fr"), texts.text(key, "en"))


if __name__ == "__main__":
	unittest.main()
