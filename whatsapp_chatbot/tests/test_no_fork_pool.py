"""`bench whatsapp-chatbot worker-pool` (worker_pool.py): a pool whose workers run each job in their
own process, started as an operator starts it, against the real queue and site.

- jobs run in the worker itself (no process forked per job), and a job sees nothing of the one
  before it: Frappe's request state (user, frappe.local, flags) is set up and torn down per job;
- a job past its timeout fails and stops its worker; the pool starts another in its place;
- the Desk's Stop Job (RQ's stop-job command) ends that worker only: RQ's own would kill the
  worker's whole process group, which is the pool and every worker in it;
- a worker leaves after its number of jobs (5,000 by default; 3 here) and the pool starts a fresh one;
- chat turns: two contacts' messages answered once each and in order by two such workers."""

import itertools
import time

import frappe
import psutil
from frappe.tests.utils import FrappeTestCase
from frappe.utils.background_jobs import get_redis_conn
from rq.job import Job

from whatsapp_chatbot import worker_pool
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import from_request, last_user_text, say
from whatsapp_chatbot.tests.processes import Worker, wait_until
from whatsapp_chatbot.tests.test_turn_concurrency import incoming, sent_to

PROBES = "whatsapp_chatbot.tests.job_probes"


def workers_of(pool: Worker) -> list[int]:
	"""The pool's worker processes (its children), and none of them has a child of its own."""
	try:
		children = psutil.Process(pool.process.pid).children()
	except psutil.Error:
		return []
	return [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def registered(pool: Worker, count: int) -> list[int]:
	"""Wait until the pool has `count` workers and each is registered with RQ on the queue."""
	from rq import Worker as RQWorker

	def ready():
		pids = workers_of(pool)
		known = {w.pid for w in RQWorker.all(connection=get_redis_conn())}
		return sorted(pids) if len(pids) == count and set(pids) <= known else None

	return wait_until(ready, timeout=90)


def run(method: str, timeout: int = 60, wait: float = 60, **kwargs) -> Job:
	job = frappe.enqueue(f"{PROBES}.{method}", queue="short", timeout=timeout, **kwargs)
	deadline = time.monotonic() + wait
	while job.get_status(refresh=True) not in ("finished", "failed", "stopped"):
		if time.monotonic() > deadline:
			raise TimeoutError(f"{method} did not end: {job.get_status(refresh=True)}")
		time.sleep(0.1)
	return job


class TestNoForkPool(FrappeTestCase):
	"""One worker in the pool: which process ran what is then certain."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.pool = Worker("short", name="no-fork-pool", pool=1, no_fork=True).start()
		cls.addClassCleanup(cls.pool.stop)
		(cls.first_worker,) = registered(cls.pool, 1)

	def current_worker(self) -> int:
		(pid,) = registered(self.pool, 1)
		return pid

	def test_jobs_run_in_the_worker_itself_and_see_nothing_of_the_job_before(self):
		worker = self.current_worker()
		frappe.set_user("Guest")
		try:
			dirty = run("dirty").return_value()
		finally:
			frappe.set_user("Administrator")
		self.assertEqual((dirty["pid"], dirty["user"], dirty["flag"]), (worker, "Guest", True))
		after = [run("whoami").return_value() for _ in range(3)]
		self.assertEqual({a["pid"] for a in after}, {worker}, "no process forked for a job")
		self.assertEqual(
			[(a["user"], a["local"], a["flag"]) for a in after], [("Administrator", None, None)] * 3
		)
		self.assertEqual(psutil.Process(worker).children(), [], "the worker has no work-horse")

	def test_a_job_past_its_timeout_stops_its_worker_and_the_pool_starts_another(self):
		worker = self.current_worker()
		job = run("sleep", timeout=2, wait=60, seconds=30)
		self.addCleanup(job.delete)
		self.assertEqual(job.get_status(), "failed")
		self.assertIn("JobTimeoutException", job.exc_info or "")
		replacement = wait_until(lambda: (set(workers_of(self.pool)) - {worker}) or None, timeout=30)
		self.assertFalse(psutil.pid_exists(worker) and psutil.Process(worker).status() != "zombie")
		self.assertEqual(run("whoami").return_value()["pid"], replacement.pop())
		frappe.db.delete("Error Log", {"method": f"{PROBES}.sleep"})
		frappe.db.commit()

	def test_stop_job_from_the_desk_ends_that_worker_only(self):
		worker = self.current_worker()
		job = frappe.enqueue(f"{PROBES}.sleep", queue="short", timeout=120, seconds=60)
		self.addCleanup(job.delete)  # left "started" by the worker that was killed under it
		wait_until(lambda: job.get_status(refresh=True) == "started", timeout=30)
		frappe.get_doc("RQ Job", job.id).stop_job()  # the RQ Job form's Stop Job
		wait_until(lambda: not psutil.pid_exists(worker) or psutil.Process(worker).status() == "zombie")
		self.assertIsNone(self.pool.process.poll(), "the pool lives on")
		replacement = self.current_worker()
		self.assertNotEqual(replacement, worker)
		self.assertEqual(run("whoami").return_value()["pid"], replacement)


class TestNoForkRenewal(FrappeTestCase):
	def test_a_worker_leaves_after_its_jobs_and_the_pool_starts_a_fresh_one(self):
		pool = Worker("short", name="no-fork-renewal", pool=1, no_fork=True)
		pool.env[worker_pool.MAX_JOBS_VARIABLE] = "3"
		with pool:
			registered(pool, 1)
			pids = [run("whoami").return_value()["pid"] for _ in range(7)]
			self.assertIsNone(pool.process.poll(), "the pool lives on")
		runs = [len(list(group)) for _, group in itertools.groupby(pids)]
		self.assertEqual(runs, [3, 3, 1], f"three jobs a worker, then a fresh one: {pids}")
		self.assertEqual(len(set(pids)), 3, "each worker is a new process")


class TestNoForkTurns(f.InterpreterTestCase):
	def test_two_contacts_answered_once_each_and_in_order(self):
		run_id = frappe.generate_hash(length=6)
		self.openai.default = from_request(lambda request: say(f"re: {last_user_text(request)}"))
		texts = {
			wa_id: [f"{word} {who} {run_id}" for word in ("uno", "dos", "tres")]
			for wa_id, who in ((self.MX, "ventas"), (self.STORE_MX, "almacén"))
		}
		with Worker("short", name="no-fork-turns", pool=2, no_fork=True) as pool:
			workers = registered(pool, 2)
			for first, second in zip(texts[self.MX], texts[self.STORE_MX], strict=True):
				self.post(f.text_webhook(first, wa_id=self.MX))
				self.post(f.text_webhook(second, wa_id=self.STORE_MX))
			for wa_id, sent in texts.items():
				wait_until(lambda w=wa_id, s=sent: len(sent_to(self.graph, w)) >= len(s), timeout=90)
			wait_until(lambda: not f.rows("Incoming", status=("in", ("Received", "Processing"))), timeout=60)
			self.assertEqual(registered(pool, 2), workers, "the same two processes answered every turn")

		for wa_id, sent in texts.items():
			self.assertEqual(sent_to(self.graph, wa_id), [f"re: {t}" for t in sent])
		rows = [incoming(t) for sent in texts.values() for t in sent]
		self.assertEqual({(r.status, r.attempts) for r in rows}, {("Answered", 1)})
		asked = [last_user_text(r) for r in self.openai.requests]
		self.assertEqual(
			sorted(t for t in asked if run_id in t), sorted(t for s in texts.values() for t in s)
		)
