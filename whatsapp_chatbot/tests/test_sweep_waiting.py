"""The sweep and a burst: a message whose processing job still waits in the turn queue is not lost,
only late, so the sweep leaves it there (queueing it again only added a job that would find it
answered: 4002 such jobs in a 10,000-delivery soak); once that job is gone (a flushed Redis), the
sweep queues it again."""

import frappe
from frappe.utils.background_jobs import create_job_id, get_job

from whatsapp_chatbot.channel import inbox
from whatsapp_chatbot.jobs.queues import turn_queue
from whatsapp_chatbot.jobs.sweep import sweep
from whatsapp_chatbot.tests import factories as f

RUN = frappe.generate_hash(length=6)
MX = "5215598765432"


class TestSweepLeavesWaitingJobs(f.ChatbotTestCase):
	settings = {"stale_after_seconds": 1}

	def stale(self, name: str) -> None:
		frappe.db.set_value("Chatbot Message", name, "modified", "2000-01-01", update_modified=False)
		frappe.db.commit()

	def test_a_message_waiting_for_a_worker_is_not_queued_again(self):
		f.make_contact(MX, user=f.make_user("chatbot-sweep-waiting@example.com"))
		wamid = f"wamid.SWEEPWAIT{RUN}"
		self.post(f.text_webhook("hola", wa_id=MX, wamid=wamid))  # no worker serves the queue here
		[message] = f.rows("Incoming")
		waiting = get_job(inbox.processing_job_id(wamid, "0"))  # get_job adds the site
		self.assertEqual(waiting.get_status(), "queued")
		self.stale(message.name)

		self.assertEqual(sweep()["incoming"], 0)
		frappe.db.commit()
		self.assertEqual([j.id for j in f.queued_jobs(turn_queue())], [waiting.id])

		# the job is gone, as after a flushed Redis: now the message would be lost, so it is queued
		waiting.delete()
		self.assertEqual(sweep()["incoming"], 1)
		frappe.db.commit()
		self.assertEqual(
			[j.id for j in f.queued_jobs(turn_queue())],
			[create_job_id(inbox.processing_job_id(wamid, "sweep0"))],
		)
		# and that job, waiting in its turn, is left alone by the next sweep
		self.stale(message.name)
		self.assertEqual(sweep()["incoming"], 0)
