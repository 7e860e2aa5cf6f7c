"""A turn slower than the sender's lock timeout, with real RQ workers: processed once, and the
message sent meanwhile answered after it, in order (issue 16).

The lock timeout says how long a dead worker's lock outlives it, not how long a turn may take: the
worker renews it while it works, a second job gives the message to the holder instead of taking the
lock over, and the sweep leaves a sender alone while a live worker holds the lock."""

import time

import frappe
from frappe.utils.background_jobs import get_queue

from whatsapp_chatbot.jobs.sweep import sweep
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import last_user_text, say
from whatsapp_chatbot.tests.processes import Worker, wait_until

LOCK_TIMEOUT = 4  # seconds; the first model call takes 10
MODEL_SECONDS = 10


def app_jobs_running() -> bool:
	"""This site's app jobs queued or being run by a worker (a job's id starts with the site)."""
	site = f"{frappe.local.site}::"
	started = get_queue("short").started_job_registry.get_job_ids()
	return bool(f.queued_jobs("short")) or any(
		job_id.startswith(site) and "whatsapp_chatbot" in job_id for job_id in started
	)


def settle(predicate, timeout: float = 90) -> None:
	"""Wait for `predicate`; on timeout go on, so the assertions below say what went wrong."""
	try:
		wait_until(predicate, timeout=timeout)
	except TimeoutError:
		pass


class TestSlowTurn(f.InterpreterTestCase):
	settings = {"lock_timeout_seconds": LOCK_TIMEOUT, "stale_after_seconds": 1, "openai_timeout": 60}

	def tearDown(self):
		f.make_settings(self.graph.base_url)  # the usual lock timeout and stale age for the next tests
		super().tearDown()

	def test_a_turn_longer_than_the_lock_runs_once_and_the_follow_up_waits_its_turn(self):
		run = frappe.generate_hash(length=6)
		first, second = f"primero {run}", f"segundo {run}"
		self.openai.script(say("Primera respuesta", delay=MODEL_SECONDS), say("Segunda respuesta"))
		# two workers: the follow-up's job runs while the slow turn does, as it would in production
		with Worker("short", name="worker-slow-1"), Worker("short", name="worker-slow-2"):
			self.post(f.text_webhook(first, wa_id=self.MX))
			wait_until(lambda: self.openai.requests, timeout=60)  # the slow model call has begun
			started = time.monotonic()
			self.post(f.text_webhook(second, wa_id=self.MX))
			# past the lock timeout, still inside the model call: the sweep runs (stale after 1 s)
			time.sleep(LOCK_TIMEOUT + 2)
			self.assertLess(time.monotonic() - started, MODEL_SECONDS - 2, "the sweep came too late")
			swept = sweep()
			frappe.db.commit()  # hands whatever it re-enqueued to the workers
			settle(lambda: len(f.rows("Incoming", status="Answered")) == 2 and not app_jobs_running())
			# the slow turn's own end, and anything a worker took just now (before the fix: the
			# same message run again by the follow-up's job and by the sweep's)
			time.sleep(max(0, MODEL_SECONDS + 2 - (time.monotonic() - started)))
			settle(lambda: not app_jobs_running())

		self.assertEqual(swept["incoming"], 0, "the sweep re-queued a turn a live worker was running")
		incoming = {r.text: r for r in f.rows("Incoming")}
		self.assertEqual(
			[(incoming[t].status, incoming[t].attempts) for t in (first, second)],
			[("Answered", 1), ("Answered", 1)],
		)
		asked = [last_user_text(r) for r in self.openai.requests]
		self.assertEqual(asked, [first, second], "one model request per message, in arrival order")
		# the follow-up's turn came after the first's answer: the model saw it in the history
		history = [m.get("content") for m in self.openai.requests[1]["messages"]]
		self.assertIn("Primera respuesta", history)
		sent = [s["text"]["body"] for s in self.graph.sent_messages() if s["type"] == "text"]
		self.assertEqual(sent, ["Primera respuesta", "Segunda respuesta"])
		replies = f.rows("Outgoing")
		self.assertEqual(
			[r.in_reply_to_message for r in replies], [incoming[first].name, incoming[second].name]
		)
