"""channel/uploads: a file goes to Meta once, and jobs sending the same file at the same time wait
for the one upload under way. Real Redis, the app's Graph client and the Graph stand-in; the one
upload for many recipients, end to end, is in test_template_send."""

import threading

import frappe

from whatsapp_chatbot.channel import uploads
from whatsapp_chatbot.channel.settings import graph_client
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.media_samples import text_pdf

PDF_TYPE = "application/pdf"


class TestUploadedOnce(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		self.client = graph_client()
		run = frappe.generate_hash(length=8)
		self.content = text_pdf([[f"Sales Invoice SINV-{run}"]])
		self.filename = f"SINV-{run}.pdf"
		self.key = uploads.cache_key(self.client, self.content, self.filename, PDF_TYPE)

	def upload_requests(self) -> list:
		return [r for r in self.graph.requests if r.path.endswith("/media")]

	def test_the_second_send_of_a_file_uses_the_id_of_the_first(self):
		first = uploads.media_id(self.client, self.content, self.filename, PDF_TYPE)
		again = uploads.media_id(self.client, self.content, self.filename, PDF_TYPE)
		renamed = uploads.media_id(self.client, self.content, f"copy-{self.filename}", PDF_TYPE)
		self.assertEqual(first, again)
		self.assertNotEqual(first, renamed)  # the name goes with the upload: another name, another file
		self.assertEqual(len(self.upload_requests()), 2)
		self.assertEqual(self.graph.media[first], (self.content, PDF_TYPE))
		ttl = frappe.cache.ttl(self.key)
		self.assertTrue(0 < ttl <= uploads.REUSE_SECONDS, ttl)  # kept a day, far inside Meta's 30

	def test_a_job_waits_for_the_upload_under_way_instead_of_uploading_again(self):
		frappe.cache.set(f"{self.key}:uploading", 1, ex=30)  # another worker is uploading this file
		self.addCleanup(frappe.cache.delete, f"{self.key}:uploading")
		finished = threading.Timer(0.6, lambda: frappe.cache.set(self.key, "fake-media-other-job", ex=60))
		finished.start()
		self.addCleanup(finished.cancel)
		self.assertEqual(
			uploads.media_id(self.client, self.content, self.filename, PDF_TYPE), "fake-media-other-job"
		)
		self.assertEqual(self.upload_requests(), [])

	def test_when_that_upload_ends_without_an_id_the_waiting_job_uploads_itself(self):
		frappe.cache.set(f"{self.key}:uploading", 1, ex=1)  # its worker died: the mark runs out
		media = uploads.media_id(self.client, self.content, self.filename, PDF_TYPE)
		self.assertEqual(self.graph.media[media], (self.content, PDF_TYPE))
		self.assertEqual(len(self.upload_requests()), 1)
		self.assertIsNone(frappe.cache.get(f"{self.key}:uploading"), "no upload mark is left behind")
