"""`bench whatsapp-chatbot worker-pool`: Frappe's worker pool whose workers run each job in their
own process instead of forking a work-horse per job.

Frappe v15 forks a fresh process for every job. For a chat turn that is most of our own cost: the
fork copies the page tables of a ~200 MB worker and the child faults in some 10,000 pages, opens a
new database connection and starts with empty process caches, about 0.1 s before the first line
of the turn runs (benchmarks/turn_overhead.py). Frappe v16 ships the cure, a worker that runs
jobs in its own process (`FRAPPE_BACKGROUND_WORKERS_NOFORK=1 bench worker-pool`); this command is
that same pool for v15: RQ's WorkerPool with RQ's SimpleWorker, and v16's three safeguards:

- a job past its timeout stops its worker once the job is recorded as failed (RQ raised into the
  middle of whatever it was doing, so the process may hold half-done state); the pool starts a
  fresh worker in its place, as it does for one that was killed;
- each worker leaves after about 5,000 jobs (with jitter, so they do not all restart at once), so
  nothing a job leaves behind can grow without bound ($WHATSAPP_CHATBOT_WORKER_MAX_JOBS sets another
  figure);
- RQ's stop-job command (the Desk's Stop Job on an RQ Job) kills the worker itself, the only
  process running the job: RQ's own would kill the worker's process group, the whole pool.

Every job still runs inside Frappe's `execute_job`, which initialises the site, connects and
destroys `frappe.local` around it, exactly as a gunicorn worker does around each request: what a
job keeps in memory for the next one is what a web worker keeps between requests.

On v16 the command uses Frappe's own `FrappeWorkerNoFork`.
"""

from __future__ import annotations

import os
import random
import signal

# v16's figures: restart a worker after this many jobs, give or take the jitter
MAX_JOBS = 5000
MAX_JOBS_JITTER = 50
# another figure for an operator who wants workers renewed sooner or later (taken exactly, no jitter)
MAX_JOBS_VARIABLE = "WHATSAPP_CHATBOT_WORKER_MAX_JOBS"


def max_jobs(environ=os.environ) -> int:
	"""How many jobs a worker runs before it leaves and the pool starts a fresh one."""
	configured = environ.get(MAX_JOBS_VARIABLE, "").strip()
	if not configured:
		return MAX_JOBS + random.randint(0, MAX_JOBS_JITTER)
	try:
		value = int(configured)
	except ValueError:
		value = 0
	if value < 1:
		raise ValueError(f"{MAX_JOBS_VARIABLE} must be a whole number of jobs, 1 or more: {configured!r}")
	return value


def worker_class():
	"""Frappe's no-fork worker where it has one (v16), else the same worker on v15."""
	from frappe.utils import background_jobs

	return getattr(background_jobs, "FrappeWorkerNoFork", None) or _backport()


def _backport():
	from frappe.utils.background_jobs import FrappeWorker
	from rq.timeouts import JobTimeoutException
	from rq.worker import SimpleWorker, StopRequested

	# FrappeWorker: the worker-pool's own class (it keeps Frappe's scheduler running in some
	# worker); SimpleWorker: RQ's worker that performs the job in its own process, with the
	# worker's registration kept alive for the job's whole timeout (no parent heartbeats for it)
	class NoForkWorker(FrappeWorker, SimpleWorker):
		def __init__(self, *args, **kwargs):
			super().__init__(*args, **kwargs)
			self.push_exc_handler(self.stop_after_timeout)

		def work(self, *args, **kwargs):
			kwargs["max_jobs"] = max_jobs()
			return super().work(*args, **kwargs)

		def stop_after_timeout(self, job, exc_type, exc_value, traceback):
			if isinstance(exc_value, JobTimeoutException):
				raise StopRequested  # the job is already in the failed registry

		def kill_horse(self, sig=signal.SIGKILL):
			os.kill(os.getpid(), sig)  # the horse is this process

	return NoForkWorker


def start(queue: str | None = None, num_workers: int = 1, quiet: bool = False, burst: bool = False):
	"""Frappe's start_worker_pool, with no-fork workers (never returns until the pool stops)."""
	import frappe
	from frappe.utils.background_jobs import get_queue_list, get_redis_conn, set_niceness
	from rq.logutils import setup_loghandlers
	from rq.worker_pool import WorkerPool

	from whatsapp_chatbot import preload

	max_jobs()  # a bad WHATSAPP_CHATBOT_WORKER_MAX_JOBS stops the command, not each worker in turn
	# loaded before the workers fork, so they share these pages (as Frappe's own pool does)
	preload.pool_parent(with_ours=os.environ.get("WHATSAPP_CHATBOT_PRELOAD") != "0")
	if getattr(frappe, "_tune_gc", False):
		import gc

		gc.collect()
		gc.freeze()

	with frappe.init_site():
		connection = get_redis_conn()
		names = [name.strip() for name in queue.split(",")] if queue else None
		queues = get_queue_list(names, build_queue_name=True)

	if os.environ.get("CI"):
		setup_loghandlers("ERROR")
	set_niceness()
	pool = WorkerPool(
		queues=queues, connection=connection, num_workers=num_workers, worker_class=worker_class()
	)
	pool.start(logging_level="WARNING" if quiet else "INFO", burst=burst)
