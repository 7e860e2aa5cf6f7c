"""Store what a webhook brought: incoming messages, delivery statuses, Meta's errors.

Called by the webhook request only. It writes rows and enqueues jobs; it never calls Meta or
OpenAI. Each item is committed on its own, which keeps a batch of many updates from holding locks
on all of them at once (concurrent redeliveries of the same batch in another order would deadlock)
and makes every stored message independent of the rest of the batch.
"""

from __future__ import annotations

import datetime
import json

import frappe
from frappe.utils.data import convert_utc_to_system_timezone

from whatsapp_chatbot.channel import statuses
from whatsapp_chatbot.channel.payload import InboundMessage, ParsedWebhook, WebhookError

MESSAGE = "Chatbot Message"
PROCESS_JOB = "whatsapp_chatbot.jobs.process_message.process_message"


def store(parsed: ParsedWebhook) -> list[str]:
	"""Persist a parsed webhook; returns the names of the messages stored for the first time."""
	stored = []
	for message in parsed.messages:
		name = insert_incoming(message)
		frappe.db.commit()  # stored (and its job enqueued) before Meta hears 200
		if name:
			stored.append(name)
	for update in parsed.statuses:
		statuses.record(update)
		frappe.db.commit()
	for error in parsed.errors:
		log_webhook_error(error)
	return stored


def insert_incoming(message: InboundMessage) -> str | None:
	"""Insert one incoming message and enqueue its processing; None if we already have it."""
	# No look-up first: the unique index on wamid is the one check that holds under concurrency.
	doc = frappe.get_doc(
		{
			"doctype": MESSAGE,
			"direction": "Incoming",
			"status": "Received",
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
			"error_message": message.error_message,
			"payload": json.dumps(message.raw, ensure_ascii=False),
		}
	)
	if not log_insert(doc):
		return None  # the same wamid delivered concurrently: the other request stored and enqueued it
	enqueue_processing(doc.name, message.wamid)
	return doc.name


def log_insert(doc) -> bool:
	"""INSERT through the ORM without the Document lifecycle; False on a duplicate unique key.

	Webhook rows are a log written on Meta's clock: defaults, link checks, doc-event hooks of every
	installed app and list-update notifications cost about 7 ms a row, more than half the request.
	Lengths are still checked, so a bad value fails here with a clear error and not in MariaDB.
	"""
	doc.name = doc.name or frappe.generate_hash(length=10)  # the DocTypes name by hash
	doc.owner = doc.modified_by = frappe.session.user
	doc._validate_length()
	try:
		doc.db_insert()
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		return False
	return True


def enqueue_processing(name: str, wamid: str, attempt: str = "0") -> None:
	"""One job per message and attempt: the id comes from the wamid, so a redelivery that slipped
	past the unique index could still not queue it twice."""
	frappe.enqueue(
		PROCESS_JOB,
		queue="short",
		message=name,
		job_id=f"whatsapp_chatbot:process:{wamid}:{attempt}",
		deduplicate=True,
		enqueue_after_commit=True,
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


def meta_datetime(timestamp: int | None):
	"""Meta's Unix timestamp as a naive datetime in the site's time zone (Frappe's convention)."""
	if not timestamp:
		return None
	utc = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.timezone.utc)
	return convert_utc_to_system_timezone(utc).replace(tzinfo=None)
