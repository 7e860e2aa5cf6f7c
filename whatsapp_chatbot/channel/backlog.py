"""The turn queue under a burst: what turns wait and take, how long the queue takes to drain, and
the busy notice that tells waiting contacts their answer is coming.

Measured by Frappe's before_job/after_job hooks for the processing job only: each turn's queue wait
(RQ's enqueued_at → started_at, the work-horse's fork included) and its duration (started_at →
done) go to two capped Redis lists, one round trip each. The estimate and
its arithmetic are channel/drain_estimate.py (pure).

The webhook asks `tell_waiting` after storing a batch: when the queue takes longer than the
Settings' "Busy Notice After (s)" to drain, each known contact who may chat and whose message
waits hears once (per contact, NOTICE_TTL) that the answer is coming, in their language, through
the outbox. Its send job goes to the front of the turn queue, so the next free worker sends it
before the turns queued ahead of it. Nothing here may fail the webhook: an error is logged.
"""

from __future__ import annotations

import datetime
import time

import frappe
from frappe.utils import cint, get_datetime
from rq import get_current_job, worker_registration
from rq.job import Job

from whatsapp_chatbot import permissions, texts
from whatsapp_chatbot.channel import contacts, drain_estimate, locks, outbox
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.jobs.queues import turn_queue

PROCESS_JOB = "whatsapp_chatbot.jobs.process_message.process_message"
MESSAGE = "Chatbot Message"
WAITS = "whatsapp_chatbot:backlog:waits"  # seconds each recent turn waited in the queue
TURNS = "whatsapp_chatbot:backlog:turns"  # seconds each recent turn took a worker
KEEP = 200
NOTICE_TTL = 600  # a contact hears it once per backlog: at most every ten minutes
OLDEST_LOOKED_AT = 20  # the queue's head: the next jobs, and any pushed to the front
NOTICE_FAILED = "WhatsApp busy notice not queued"


# -- measuring (Frappe's before_job / after_job hooks, in the worker) ------------------------------


def before_job(method: str | None = None, **_kwargs) -> None:
	if method != PROCESS_JOB:
		return
	try:
		job = get_current_job()
		if job and job.enqueued_at:
			_push(WAITS, _seconds(job.enqueued_at, job.started_at or _utcnow()))
	except Exception as error:  # a figure for the Desk never fails a turn
		frappe.logger("whatsapp_chatbot").warning(f"turn wait not recorded: {error!r}")


def after_job(method: str | None = None, **_kwargs) -> None:
	if method != PROCESS_JOB:
		return
	try:
		job = get_current_job()
		if job and job.started_at:
			_push(TURNS, _seconds(job.started_at, _utcnow()))
	except Exception as error:
		frappe.logger("whatsapp_chatbot").warning(f"turn duration not recorded: {error!r}")


def _utcnow() -> datetime.datetime:
	# RQ's own clock: naive UTC
	return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _seconds(start: datetime.datetime, end: datetime.datetime) -> float:
	return (end.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds()


def _push(name: str, seconds: float) -> None:
	client = locks.redis()
	key = client.make_key(name)
	pipe = client.pipeline(transaction=False)
	pipe.lpush(key, f"{seconds:.3f}")
	pipe.ltrim(key, 0, KEEP - 1)
	pipe.execute()


def recent(name: str) -> list[float]:
	"""The recorded seconds of the last KEEP turns, newest first."""
	return [float(value) for value in locks.redis().lrange(name, 0, KEEP - 1)]


# -- the estimate ---------------------------------------------------------------------------------


def queue():
	"""The turn queue on Frappe's queue connection, as get_queue makes it; its full name (Frappe
	prefixes the bench id, which it reads from the disk on each call) kept per process and site."""
	from frappe.utils.background_jobs import generate_qname, get_redis_conn
	from rq import Queue

	short = turn_queue()
	key = (frappe.local.site, short)
	if key not in _queue_names:
		_queue_names[key] = generate_qname(short)
	return Queue(_queue_names[key], connection=get_redis_conn())


_queue_names: dict[tuple[str, str], str] = {}  # (site, queue) → its full RQ name


def live_workers(rq_queue) -> int:
	"""Workers registered on the queue whose key is still alive: one killed without saying goodbye
	stays registered until some worker's maintenance cleans it, but its key expires with its
	heartbeat. Two round trips, however many workers."""
	keys = list(worker_registration.get_keys(queue=rq_queue, connection=rq_queue.connection))
	if not keys:
		return 0
	pipe = rq_queue.connection.pipeline(transaction=False)
	for key in keys:
		pipe.exists(key)
	return sum(1 for alive in pipe.execute() if alive)


def estimate(rq_queue=None) -> drain_estimate.Estimate:
	rq_queue = rq_queue or queue()
	return drain_estimate.estimate(rq_queue.count, live_workers(rq_queue), recent(TURNS))


def oldest_wait(rq_queue) -> float | None:
	"""How long the longest-waiting job at the head of the queue has waited (None: none waits)."""
	ids = rq_queue.get_job_ids(0, OLDEST_LOOKED_AT)
	jobs = [job for job in Job.fetch_many(ids, connection=rq_queue.connection) if job and job.enqueued_at]
	if not jobs:
		return None
	return max(0.0, _seconds(min(job.enqueued_at for job in jobs), _utcnow()))


def snapshot() -> dict:
	"""The Desk's figures of the turn queue (api/turn_queue.py)."""
	rq_queue = queue()
	now = estimate(rq_queue)
	waits = recent(WAITS)
	threshold = cint(get_settings().busy_notice_after_seconds)
	return {
		"queue": turn_queue(),
		"workers": now.workers,
		"depth": now.depth,
		"oldest_wait_seconds": _rounded(oldest_wait(rq_queue)),
		"wait_p50_seconds": _rounded(drain_estimate.percentile(waits, 0.5)),
		"wait_p99_seconds": _rounded(drain_estimate.percentile(waits, 0.99)),
		"waits_measured": len(waits),
		"turn_seconds": _rounded(now.turn_seconds),
		"turn_seconds_measured": now.measured,
		# JSON has no infinity: None with workers 0 means the queue never drains
		"drain_seconds": None if now.drain_seconds == float("inf") else _rounded(now.drain_seconds),
		"busy_notice_after_seconds": threshold,
		"busy": drain_estimate.busy(now, threshold),
	}


def _rounded(value: float | None) -> float | None:
	return None if value is None else round(value, 2)


# -- the busy notice (the webhook request) ---------------------------------------------------------


def tell_waiting(messages: list[str], queued: bool = True) -> None:
	"""Tell the senders of the just-stored `messages` that their answer is coming, if the turn
	queue is backed up (`queued`: their processing jobs are in it already; else they join it at the
	request's commit and count as waiting too). Never raises: the webhook answers Meta 200 whatever
	happens here."""
	if not messages:
		return
	try:
		_tell_waiting(messages, 0 if queued else len(messages))
	except Exception:
		# _tell_waiting committed the stored messages before it wrote anything: this undoes only
		# what the notice wrote
		frappe.db.rollback()
		frappe.log_error(title=NOTICE_FAILED, message=frappe.get_traceback(with_context=False))
		frappe.db.commit()


def _tell_waiting(messages: list[str], joining: int) -> None:
	settings = get_settings()
	threshold = cint(settings.busy_notice_after_seconds)
	if threshold <= 0 or not settings.enabled:
		return
	if not _busy(threshold, joining):
		return
	# the stored messages are committed (their jobs queued) before anything here writes: a failure
	# below, even a deadlock that ends the whole transaction, then never takes them with it
	frappe.db.commit()
	rows = frappe.get_all(
		MESSAGE,
		# still waiting: one a worker already took needs no notice
		filters={"name": ("in", messages), "direction": "Incoming", "status": "Received"},
		fields=["name", "wa_id", "user_id", "meta_timestamp", "creation"],
		order_by="creation asc",
	)
	told = set()
	for row in rows:
		contact = contacts.find(row.wa_id, row.user_id)  # never created here: strangers hear nothing
		if contact is None or contact.name in told or not permissions.contact_may_chat(contact):
			continue
		if _with_a_person(contact.name) or not _window_open(contact, row):
			continue
		if not locks.once(f"busy:{contact.name}", NOTICE_TTL):
			continue
		told.add(contact.name)
		_queue_notice(contact, row.name, settings)
		frappe.db.commit()  # the row, then its send job at the front of the queue


def _busy(threshold: int, joining: int = 0) -> bool:
	"""The estimate, in as few round trips as the answer allows: an empty queue is one LLEN, and a
	queue one worker would drain in time skips counting the workers (more only drain it faster).
	The depth is read on every webhook; the recent turns' durations and the live workers, which
	change with turns, not with messages, are read again after a second (MEMO_SECONDS)."""
	rq_queue = queue()
	depth = rq_queue.count + joining
	if not depth:
		return False
	durations = _remembered("durations", lambda: recent(TURNS))
	if not drain_estimate.busy(drain_estimate.estimate(depth, 1, durations), threshold):
		return False
	workers = _remembered("workers", lambda: live_workers(rq_queue))
	return drain_estimate.busy(drain_estimate.estimate(depth, workers, durations), threshold)


MEMO_SECONDS = 1.0
# per web process: (site, what) → (read at, value); a burst of webhooks reads each once a second
_memo: dict[tuple[str, str], tuple[float, object]] = {}


def _remembered(what: str, read):
	key = (frappe.local.site, what)
	now = time.monotonic()
	found = _memo.get(key)
	if found and now - found[0] < MEMO_SECONDS:
		return found[1]
	value = read()
	_memo[key] = (now, value)
	return value


def _with_a_person(contact: str) -> bool:
	"""A manager took the conversation over: the bot will not answer, so it promises nothing."""
	return bool(frappe.db.exists(contacts.CONVERSATION, {"contact": contact, "status": "Human"}))


def _window_open(contact, row) -> bool:
	"""The contact just wrote, which opens Meta's 24-hour window; the turn records that only when it
	starts, so it is recorded here (never moved back) or the notice would wait for the window."""
	received = get_datetime(row.meta_timestamp or row.creation)
	table = frappe.qb.DocType(contacts.CONTACT)
	(
		frappe.qb.update(table)
		.set(table.last_inbound_at, received)
		.where(table.name == contact.name)
		.where(table.last_inbound_at.isnull() | (table.last_inbound_at < received))
	).run()
	contact.last_inbound_at = frappe.db.get_value(contacts.CONTACT, contact.name, "last_inbound_at")
	return contacts.in_service_window(contact)


def _queue_notice(contact, message: str, settings) -> None:
	language = contacts.language_of(contact, settings)
	conversation = frappe.db.get_value(
		contacts.CONVERSATION,
		{"contact": contact.name, "status": ("in", ("Open", "Waiting"))},
		"name",
		order_by="creation desc",
	)
	previous = frappe.flags.whatsapp_chatbot_send_inline
	frappe.flags.whatsapp_chatbot_send_inline = True  # its send job is enqueued below, at the front
	try:
		# not `answers`: the model's history would read the notice as part of the answer
		names = outbox.queue_text(contact, texts.text("busy", language), conversation, key=f"{message}:busy")
	finally:
		frappe.flags.whatsapp_chatbot_send_inline = previous
	for name in names:
		# the job id outbox.enqueue_send uses: the sweep's re-enqueue of the same row is a duplicate
		frappe.enqueue(
			outbox.SEND_JOB,
			queue=turn_queue(),
			at_front=True,
			message=name,
			job_id=f"whatsapp_chatbot:send:{name}:0",
			deduplicate=True,
			enqueue_after_commit=True,
		)
