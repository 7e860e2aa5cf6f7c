"""The real Graph client against the fake Graph server, over HTTP on loopback."""

import unittest

from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.graph import GraphClient
from whatsapp_chatbot.tests.fake_graph import FakeGraph


class TestGraphClient(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		cls.graph = FakeGraph(access_token="tok").start()

	@classmethod
	def tearDownClass(cls):
		cls.graph.stop()

	def setUp(self):
		self.graph.reset()
		self.client = GraphClient("5550001", "tok", base_url=self.graph.base_url, version="v25.0", timeout=2)

	def test_send_text_splits_and_addresses(self):
		wamids = self.client.send_text("línea\n" * 1500, wa_id="34600111222")
		self.assertEqual(len(wamids), 3)
		sent = self.graph.sent_messages()
		self.assertEqual([s["to"] for s in sent], ["34600111222"] * 3)
		self.assertEqual([s["_wamid"] for s in sent], wamids)
		self.assertTrue(all(len(s["text"]["body"]) <= 4096 for s in sent))
		request = self.graph.requests[0]
		self.assertEqual(request.path, "/v25.0/5550001/messages")
		self.assertEqual(request.headers["Authorization"], "Bearer tok")

	def test_business_scoped_recipient(self):
		self.client.send(outgoing.text("hi"), user_id="US.1349")
		self.assertEqual(self.graph.sent_messages()[0]["recipient"], "US.1349")

	def test_predetermined_wamid(self):
		self.graph.next_wamids("wamid.CHOSEN")
		self.assertEqual(self.client.send(outgoing.text("hi"), wa_id="1"), "wamid.CHOSEN")

	def test_mark_read_with_typing(self):
		self.assertTrue(self.client.mark_read("wamid.IN"))
		self.assertEqual(self.graph.read_receipts()[0]["typing_indicator"], {"type": "text"})

	def test_media_roundtrip(self):
		media_id = self.client.upload_media(b"%PDF-1.4 test", "factura.pdf", "application/pdf")
		upload = self.graph.requests[-1]
		self.assertEqual(upload.form["messaging_product"], "whatsapp")
		self.assertEqual(upload.form["file"][2], "factura.pdf")
		media = self.client.download_media(media_id)
		self.assertEqual(
			(media.content, media.mime_type, media.file_size), (b"%PDF-1.4 test", "application/pdf", 13)
		)

	def test_errors_by_code(self):
		for code, attribute in (
			(130429, "retryable"),
			(131056, "retryable"),
			(80007, "retryable"),
			(4, "retryable"),
			(131047, "outside_window"),
			(190, "invalid_token"),
		):
			self.graph.fail_next(code)
			with self.subTest(code=code), self.assertRaises(GraphError) as caught:
				self.client.send(outgoing.text("x"), wa_id="1")
			self.assertEqual(caught.exception.code, code)
			self.assertTrue(getattr(caught.exception, attribute))
		self.graph.fail_next(None, http_status=502)
		with self.assertRaises(GraphError) as caught:
			self.client.send(outgoing.text("x"), wa_id="1")
		self.assertEqual((caught.exception.http_status, caught.exception.retryable), (502, True))

	def test_wrong_token_is_190(self):
		bad = GraphClient("5550001", "wrong", base_url=self.graph.base_url)
		with self.assertRaises(GraphError) as caught:
			bad.send(outgoing.text("x"), wa_id="1")
		self.assertTrue(caught.exception.invalid_token)

	def test_timeout_is_retryable_and_hides_token(self):
		self.graph.fail_next(130429, delay=3)
		with self.assertRaises(GraphError) as caught:
			self.client.send(outgoing.text("x"), wa_id="1")
		self.assertTrue(caught.exception.retryable)
		self.assertIsNone(caught.exception.code)
		self.assertNotIn("tok", repr(self.client) + str(caught.exception))

	def test_unreachable(self):
		closed = GraphClient("1", "tok", base_url="http://127.0.0.1:9", timeout=1)
		with self.assertRaises(GraphError) as caught:
			closed.send(outgoing.text("x"), wa_id="1")
		self.assertTrue(caught.exception.retryable)


if __name__ == "__main__":
	unittest.main()
