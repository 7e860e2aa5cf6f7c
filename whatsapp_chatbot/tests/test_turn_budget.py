"""A turn's network waits fit its job's timeout (jobs/budget.py), and the chat's jobs go on the turn
queue (jobs/queues.py): Frappe's short one, or the app's own once the operator configures it.

The queue's timeout is set the way an operator sets it, through `workers` in the configuration
(here in this process only), and the job is run in this process as a worker runs it."""

import threading
import time

import frappe
from frappe.utils.background_jobs import get_queue, get_queues_timeout

from whatsapp_chatbot import texts
from whatsapp_chatbot.jobs import budget, queues
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import from_request, say
from whatsapp_chatbot.tests.test_voice import VOICE_MEDIA_ID

JOB_TIMEOUT = budget.RESERVE_SECONDS + 6  # six seconds for the model, then the apology


class AppQueue:
	"""`workers` in this process's configuration, as common_site_config.json would have it."""

	def __init__(self, case, timeout: int | None):
		conf = frappe.local.conf
		had, previous = "workers" in conf, conf.get("workers")
		if timeout is None:
			conf.pop("workers", None)
		else:
			conf.workers = {queues.APP_QUEUE: {"timeout": timeout}}
		get_queues_timeout.cache_clear()
		case.addCleanup(get_queues_timeout.cache_clear)
		case.addCleanup(lambda: conf.update(workers=previous) if had else conf.pop("workers", None))


def app_jobs(queue: str) -> list:
	site = f"{frappe.local.site}::whatsapp_chatbot:"
	return [job for job in get_queue(queue).get_jobs() if job.id.startswith(site)]


class TestTurnQueue(f.ChatbotTestCase):
	def test_a_stored_message_is_processed_on_the_apps_queue_once_configured(self):
		AppQueue(self, timeout=300)
		self.addCleanup(lambda: [job.delete() for job in app_jobs(queues.APP_QUEUE)])
		self.assertEqual(queues.turn_queue(), queues.APP_QUEUE)
		body = f.text_webhook("hola", wa_id="5215500001111")
		wamid = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
		self.post(body)
		job_id = f"{frappe.local.site}::whatsapp_chatbot:process:{wamid}:0"
		self.assertIn(job_id, get_queue(queues.APP_QUEUE).job_ids)
		self.assertNotIn(job_id, get_queue("short").job_ids)
		[job] = [j for j in app_jobs(queues.APP_QUEUE) if j.id == job_id]
		self.assertEqual(job.timeout, 300)

	def test_without_it_on_short(self):
		AppQueue(self, timeout=None)
		self.assertEqual(queues.turn_queue(), "short")
		body = f.text_webhook("hola", wa_id="5215500001112")
		wamid = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
		self.post(body)
		self.assertIn(f"{frappe.local.site}::whatsapp_chatbot:process:{wamid}:0", get_queue("short").job_ids)


class TestTurnBudget(f.InterpreterTestCase):
	settings = {"openai_timeout": 120}

	def test_a_model_slower_than_the_time_left_ends_the_turn_with_the_apology(self):
		AppQueue(self, timeout=JOB_TIMEOUT)
		self.addCleanup(lambda: [job.delete() for job in app_jobs(queues.APP_QUEUE)])
		answer = threading.Event()  # the model answers only when the test is over
		self.addCleanup(answer.set)
		self.openai.script(from_request(lambda request: answer.wait(300) and say("demasiado tarde")))
		question = f"¿Cuánto stock hay del producto? {frappe.generate_hash(length=6)}"
		self.post(f.text_webhook(question, wa_id=self.MX))
		[job] = app_jobs(queues.APP_QUEUE)
		self.assertEqual(job.timeout, JOB_TIMEOUT)  # what RQ would kill the job at

		started = time.monotonic()
		f.run_jobs(queues=(queues.APP_QUEUE,))
		elapsed = time.monotonic() - started

		self.assertLess(elapsed, JOB_TIMEOUT, "the turn outlived its job's timeout")
		self.assertEqual(len(self.openai.requests), 1, "no retry once the time is spent")
		[message] = f.rows("Incoming")
		self.assertEqual(message.status, "Failed")
		self.assertIn("APITimeoutError", message.error_message)
		self.assertEqual(
			[s["text"]["body"] for s in self.graph.sent_messages()],
			[texts.text("assistant_unavailable", "es")],
		)

	def test_no_model_call_is_started_once_the_time_is_spent(self):
		"""A job whose timeout leaves nothing beyond the reserve starts no model call, and its
		apology, which a slow Meta could keep past the job's end, goes out in a send job."""
		AppQueue(self, timeout=budget.RESERVE_SECONDS)  # nothing left for waits at all
		self.addCleanup(lambda: [job.delete() for job in app_jobs(queues.APP_QUEUE)])
		# two Graph attempts of 20 s do not fit in the 30 s left
		f.make_settings(self.graph.base_url, **{**self.settings, "graph_timeout": 20})
		question = f"¿Cuánto stock hay del producto? {frappe.generate_hash(length=6)}"
		self.post(f.text_webhook(question, wa_id=self.MX))
		ran = f.run_jobs(queues=(queues.APP_QUEUE,))
		self.assertEqual(self.openai.requests, [])
		self.assertEqual([job_id.split("::", 1)[1].split(":")[1] for job_id in ran], ["process", "send"], ran)
		self.assertTrue(ran[1].endswith(":late0"), ran)
		[message] = f.rows("Incoming")
		self.assertEqual(message.status, "Failed")
		self.assertIn("no time left", message.error_message)
		self.assertEqual(
			[s["text"]["body"] for s in self.graph.sent_messages()],
			[texts.text("assistant_unavailable", "es")],
		)

	def test_no_voice_note_is_transcribed_once_the_time_is_spent(self):
		"""The transcription is a model call like the others: within the job's time or not at all."""
		AppQueue(self, timeout=budget.RESERVE_SECONDS)  # nothing left for waits at all
		self.addCleanup(lambda: [job.delete() for job in app_jobs(queues.APP_QUEUE)])
		f.make_contact("972987654321", user=self.sales, user_id="US.13491208655302741918", language="es")
		self.graph.add_media(VOICE_MEDIA_ID, b"OggS\x00\x02fake-opus-audio", "audio/ogg; codecs=opus")
		self.openai.state.transcript = "¿cuánto stock queda del ítem TORN-M8?"
		self.post(f.sample("pywa_audio_voice_note.json"))
		f.run_jobs(queues=(queues.APP_QUEUE,))
		self.assertEqual(self.openai.requests, [], "nothing was sent to OpenAI")
		[message] = f.rows("Incoming")
		self.assertEqual(message.status, "Failed")
		self.assertIn("no time left in this job for another transcription", message.error_message)
		self.assertEqual(
			[s["text"]["body"] for s in self.graph.sent_messages()],
			[texts.text("assistant_unavailable", "es")],
		)

	def test_a_job_short_of_time_hands_the_next_message_to_a_fresh_job(self):
		"""Every job runs one turn; the contact's next message goes to a job of its own when less
		than a turn's worth of time is left, in order and answered once."""
		AppQueue(self, timeout=budget.RESERVE_SECONDS + budget.HANDOVER_SECONDS - 1)
		self.addCleanup(lambda: [job.delete() for job in app_jobs(queues.APP_QUEUE)])
		self.openai.script(say("uno"), say("dos"))
		run = frappe.generate_hash(length=6)
		for text in (f"primero {run}", f"segundo {run}"):
			self.post(f.text_webhook(text, wa_id=self.MX))
		ran = f.run_jobs(queues=(queues.APP_QUEUE,))
		self.assertTrue(any(job_id.endswith(":next0") for job_id in ran), ran)
		self.assertEqual(
			[(r.text, r.status, r.attempts) for r in f.rows("Incoming")],
			[(f"primero {run}", "Answered", 1), (f"segundo {run}", "Answered", 1)],
		)
		self.assertEqual([s["text"]["body"] for s in self.graph.sent_messages()], ["uno", "dos"])
