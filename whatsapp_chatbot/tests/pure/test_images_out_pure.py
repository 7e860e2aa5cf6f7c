"""Image messages: the builders, and the real Graph client uploading a chart PNG to the fake Graph
server, which checks uploads and image messages the way Meta does."""

import io
import unittest

from PIL import Image

from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.graph import GraphClient
from whatsapp_chatbot.charts.render import HEIGHT, WIDTH, Chart, Series, render_png
from whatsapp_chatbot.tests.fake_graph import FakeGraph


def png() -> bytes:
	return render_png(Chart("Stock", ["Stores", "Tienda"], [Series("Nos", [120.0, 30.0])], kind="ranking"))


class TestImageBodies(unittest.TestCase):
	def test_image_body_and_summary(self):
		body = outgoing.image("media-1", "📊 Ventas")
		self.assertEqual(body, {"type": "image", "image": {"id": "media-1", "caption": "📊 Ventas"}})
		self.assertEqual(outgoing.summary(body), "[image] 📊 Ventas")
		self.assertEqual(outgoing.image("media-1"), {"type": "image", "image": {"id": "media-1"}})
		with self.assertRaises(outgoing.MessageTooLarge):
			outgoing.image("media-1", "x" * 1025)

	def test_which_files_go_as_images(self):
		self.assertEqual(outgoing.media("image/png"), "image")
		self.assertEqual(outgoing.media("image/jpeg"), "image")
		self.assertEqual(outgoing.media("image/webp"), "document")  # Meta: webp is for stickers
		self.assertEqual(outgoing.media("application/pdf"), "document")
		self.assertEqual(outgoing.media(None), "document")


class TestImagesThroughTheFake(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		cls.graph = FakeGraph(access_token="tok").start()

	@classmethod
	def tearDownClass(cls):
		cls.graph.stop()

	def setUp(self):
		self.graph.reset()
		self.client = GraphClient("5550001", "tok", base_url=self.graph.base_url, version="v25.0", timeout=2)

	def test_chart_png_uploaded_then_sent_as_image(self):
		content = png()
		media_id = self.client.upload_media(content, "chart.png", "image/png")
		self.client.send(outgoing.image(media_id, "📊 Stock"), wa_id="5215511112222")
		[sent] = self.graph.sent_messages()
		self.assertEqual(sent["image"], {"id": media_id, "caption": "📊 Stock"})
		stored, mime = self.graph.media[media_id]
		picture = Image.open(io.BytesIO(stored))
		self.assertEqual((mime, picture.format, picture.size), ("image/png", "PNG", (WIDTH, HEIGHT)))

	def test_upload_that_is_not_what_it_claims_is_refused(self):
		stored = dict(self.graph.media)
		with self.assertRaises(GraphError) as raised:
			self.client.upload_media(b"%PDF-1.4 not a picture", "chart.png", "image/png")
		self.assertEqual(raised.exception.code, 131053)
		with self.assertRaises(GraphError):
			self.client.upload_media(b"GIF89a....", "anim.gif", "image/gif")
		self.assertEqual(self.graph.media, stored)  # nothing kept

	def test_image_message_needs_an_uploaded_image(self):
		with self.assertRaises(GraphError) as raised:
			self.client.send(outgoing.image("never-uploaded"), wa_id="1")
		self.assertEqual(raised.exception.code, 131009)
		pdf = self.client.upload_media(b"%PDF-1.4 x", "a.pdf", "application/pdf")
		with self.assertRaises(GraphError):
			self.client.send(outgoing.image(pdf), wa_id="1")
		self.assertEqual(self.graph.sent_messages(), [])
