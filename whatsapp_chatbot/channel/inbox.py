"""Store what a webhook brought: incoming messages, delivery statuses, template changes, Meta's errors.

Called by the webhook request only. It writes rows and enqueues jobs; it never calls Meta or
OpenAI. Each item is committed on its own, which keeps a batch of many updates from holding locks
on all of them at once (concurrent redeliveries of the same batch in another order would deadlock)
and makes every stored message independent of the rest of the batch: an item that cannot be stored
is rolled back alone and logged with Meta's raw text, and its neighbours are stored all the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot.channel import statuses
from whatsapp_chatbot.channel.log_rows import log_insert, meta_datetime
from whatsapp_chatbot.channel.payload import InboundMessage, ParsedWebhook, WebhookError
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.jobs.queues import turn_queue
from whatsapp_chatbot.message_templates import webhooks as template_webhooks

MESSAGE = "Chatbot Message"
PROCESS_JOB = "whatsapp_chatbot.jobs.process_message.process_message"
SETTINGS = "WhatsApp Chatbot Settings"
UNSTORED_TITLE = "WhatsApp webhook item not stored"


@dataclass
class Stored:
	messages: list[str]  # messages stored for the first time
	failed: int = 0  # items logged instead of stored
	retry: bool = False  # an item met a passing database error: Meta should deliver the batch again
	committed: bool = True  # False: Frappe commits them with the request (their jobs are queued then)


def store(parsed: ParsedWebhook) -> Stored:
	"""Persist a parsed webhook, each item on its own."""
	result = Stored([])
	ours = get_settings().phone_number_id  # the cached document: a query on every request cost 1 ms
	# several items are committed one by one, so one that fails undoes only itself; a delivery of
	# one item (nearly all of them) is committed by Frappe with the request, before Meta hears 200
	# (a commit of our own cost two more round trips)
	one_by_one = (
		len(parsed.messages) + len(parsed.statuses) + len(parsed.template_events) + len(parsed.errors) > 1
	)
	result.committed = one_by_one
	for message in parsed.messages:
		name = _one_item(
			result, "message", message.raw, lambda m=message: insert_incoming(m, ours), one_by_one
		)
		if name:
			result.messages.append(name)
	for update in parsed.statuses:
		_one_item(result, "status", update.raw, lambda u=update: statuses.record(u), one_by_one)
	for event in parsed.template_events:
		_one_item(result, "template", event.raw, lambda e=event: template_webhooks.record(e), one_by_one)
	for error in parsed.errors:
		_one_item(result, "error", error.raw, lambda e=error: log_webhook_error(e), one_by_one)
	return result


def _one_item(result: Stored, kind: str, raw: dict, insert, commit: bool = True):
	"""Run one item's insert and, with `commit`, commit it (stored, and its job enqueued, before
	Meta hears 200). Any failure undoes that item only and is logged; a deadlock, lock timeout or
	lost connection is no fault of the item, so the batch is asked for again (duplicates are
	dropped on arrival)."""
	try:
		value = insert()
		if commit:
			frappe.db.commit()
		return value
	except Exception as error:
		frappe.db.rollback()
		result.failed += 1
		result.retry = result.retry or _passing(error)
		frappe.log_error(
			title=UNSTORED_TITLE,
			message=json.dumps(
				{"kind": kind, "error": frappe.get_traceback(with_context=False), "raw": raw},
				indent=1,
				ensure_ascii=False,
				default=str,
			),
		)
		frappe.db.commit()
		return None


def _passing(error: Exception) -> bool:
	return isinstance(
		error, frappe.QueryDeadlockError | frappe.QueryTimeoutError | frappe.InReadOnlyMode
	) or frappe.db.is_interface_error(error)


def insert_incoming(message: InboundMessage, ours: str | None = None) -> str | None:
	"""Insert one incoming message and enqueue its processing; None if we already have it.

	A message sent to another business number of the same Meta app (`ours` is the Settings' number)
	is stored as Ignored, with why, and never processed: it is not ours to answer."""
	elsewhere = bool(ours and message.phone_number_id and message.phone_number_id != ours)
	note = message.error_message
	if elsewhere:
		note = "; ".join(
			filter(
				None,
				(
					f"sent to another business number (phone_number_id {message.phone_number_id}), "
					"not this one: not answered",
					note,
				),
			)
		)
	# No look-up first: the unique index on wamid is the one check that holds under concurrency.
	doc = frappe.get_doc(
		{
			"doctype": MESSAGE,
			"direction": "Incoming",
			"status": "Ignored" if elsewhere else "Received",
			"processed_at": now_datetime() if elsewhere else None,
			"phone_number_id": message.phone_number_id,
			"wamid": message.wamid,
			"message_type": message.message_type,
			"sender_key": message.sender_key,
			"wa_id": message.sender_wa_id,
			"user_id": message.sender_user_id,
			"profile_name": message.sender_name,
			"text": message.text,
			"reply_to": message.reply_to,
			"interactive_id": message.interactive_id,
			"forwarded": int(message.forwarded),
			"media_id": message.media_id,
			"media_mime_type": message.media_mime_type,
			"media_filename": message.media_filename,
			"media_sha256": message.media_sha256,
			"is_voice": int(message.is_voice),
			"latitude": message.latitude,
			"longitude": message.longitude,
			"meta_timestamp": meta_datetime(message.timestamp),
			"error_code": str(message.error_code) if message.error_code else None,
			"error_message": note,
			"payload": json.dumps(message.raw, ensure_ascii=False),
		}
	)
	if not log_insert(doc):
		return None  # the same wamid delivered concurrently: the other request stored and enqueued it
	if not elsewhere:
		# the row just inserted is the one this wamid will ever have (unique index): no job of it
		# can exist yet, so Frappe's look-up of one (a Redis round trip) is skipped
		enqueue_processing(doc.name, doc.wamid, deduplicate=False)
	return doc.name


def enqueue_processing(name: str, wamid: str, attempt: str = "0", deduplicate: bool = True) -> None:
	"""One job per message and attempt: the id comes from the wamid, so a message queued again
	(the sweep, a hand-over, Re-run) while its job still waits is not queued twice."""
	frappe.enqueue(
		PROCESS_JOB,
		queue=turn_queue(),
		message=name,
		job_id=processing_job_id(wamid, attempt),
		deduplicate=deduplicate,
		enqueue_after_commit=True,
	)


def processing_job_id(wamid: str, attempt: str) -> str:
	return f"whatsapp_chatbot:process:{wamid}:{attempt}"


def processing_waits_in_queue(wamid: str, attempts: int | None) -> bool:
	"""Is a processing job of this message still waiting in the queue (the webhook's, the one a
	previous sweep queued, or the one a turn handed it to)? In a burst a message may wait longer
	than `stale_after_seconds` for a worker: queueing it again would only add a job that finds it
	answered. A job a killed worker was running stays "started" in RQ, so it does not count."""
	from frappe.utils.background_jobs import create_job_id, get_redis_conn
	from rq.job import Job, JobStatus

	ids = [
		create_job_id(processing_job_id(wamid, attempt))
		for attempt in ("0", f"sweep{attempts or 0}", f"next{attempts or 0}")
	]
	return any(
		job and job.get_status(refresh=False) == JobStatus.QUEUED
		for job in Job.fetch_many(ids, connection=get_redis_conn())
	)


def log_webhook_error(error: WebhookError) -> None:
	frappe.log_error(
		title=f"WhatsApp webhook error {error.code or ''}".strip(),
		message=json.dumps(
			{
				"code": error.code,
				"message": error.message,
				"phone_number_id": error.phone_number_id,
				"raw": error.raw,
			},
			indent=1,
			ensure_ascii=False,
		),
	)
