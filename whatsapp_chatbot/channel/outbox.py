"""The way out: every outgoing WhatsApp message is a Chatbot Message row before it is sent.

`queue` writes the row (status Queued) and enqueues a send job after commit. The send job drains
the contact's queue in creation order under a per-contact lock, so the parts of a long answer
arrive in order even with several workers. Each attempt is committed before the Graph call
(status Sending) and after it (Sent with Meta's wamid, or the failure), so a crash leaves a row the
sweep can see, and a row that is Sent is never sent again.

Failures are handled by Meta's code (channel/errors.py): throttling, timeouts and 5xx retry after
4^n seconds up to `max_send_attempts`; 131047 (24-hour window closed) falls back to the configured
template or fails with the reason; 190 (bad token) fails at once and alerts the managers once.
"""

from __future__ import annotations

import json
import time

import frappe
from frappe.utils import add_to_date, get_datetime, now_datetime

from whatsapp_chatbot.channel import alerts, contacts, locks, outgoing, standin, statuses
from whatsapp_chatbot.channel.errors import OUTSIDE_WINDOW_CODE, GraphError, backoff_seconds
from whatsapp_chatbot.channel.settings import get_settings, graph_client

MESSAGE = "Chatbot Message"
SEND_JOB = "whatsapp_chatbot.jobs.send.send_queued"
WINDOW_CLOSED = "Outside the 24-hour customer service window and no fallback template is configured"


def queue(
	contact, body: dict, conversation: str | None = None, answers: str | None = None, key: str | None = None
) -> str:
	"""Queue one message body (from `outgoing`) for `contact`; returns the Chatbot Message name.

	`key` makes queueing idempotent: a job that runs again finds the row it queued the first time.
	"""
	if key:
		existing = frappe.db.get_value(MESSAGE, {"outbox_key": key})
		if existing:
			return existing
	# an answer goes back on the channel the question came from (the terminal chat never reaches Meta)
	channel = (frappe.db.get_value(MESSAGE, answers, "channel") if answers else None) or "WhatsApp"
	doc = frappe.get_doc(
		{
			"doctype": MESSAGE,
			"direction": "Outgoing",
			"status": "Queued",
			"channel": channel,
			"message_type": body.get("type"),
			"contact": contact.name,
			"conversation": conversation,
			"wa_id": contact.wa_id,
			"user_id": contact.user_id,
			"in_reply_to_message": answers,
			"outbox_key": key,
			"text": outgoing.summary(body),
			"request_body": json.dumps(body, ensure_ascii=False),
		}
	).insert(ignore_permissions=True)
	if not frappe.flags.whatsapp_chatbot_send_inline:
		enqueue_send(doc.name)
	return doc.name


def queue_document(
	contact,
	filename: str,
	content: bytes,
	mime_type: str,
	caption: str | None = None,
	conversation=None,
	answers=None,
	key=None,
) -> str:
	"""Queue a file: kept as a private File on the row, uploaded to Meta by the send job (media ids
	expire, and an upload is a Graph call that may need retries like any other). PNG and JPEG go
	as an image message (shown inline, like a photo), anything else as a document."""
	kind = outgoing.media(mime_type)
	body = {"type": kind, kind: {"filename": filename} if kind == "document" else {}}
	if caption:
		body[kind]["caption"] = caption[: outgoing.CAPTION_LIMIT]
	name = queue(contact, body, conversation, answers, key)
	if not frappe.db.exists("File", {"attached_to_doctype": MESSAGE, "attached_to_name": name}):
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": filename,
				"content": content,
				"is_private": 1,
				"attached_to_doctype": MESSAGE,
				"attached_to_name": name,
			}
		).insert(ignore_permissions=True)
	return name


def queue_text(
	contact, text: str, conversation: str | None = None, answers: str | None = None, key: str | None = None
) -> list[str]:
	"""Queue text of any length: one row per 4096-character part, keys suffixed by part."""
	parts = outgoing.split_text(text)
	return [
		queue(contact, outgoing.text(part), conversation, answers, f"{key}:{index}" if key else None)
		for index, part in enumerate(parts)
	]


def enqueue_send(name: str, attempt: int = 0) -> None:
	frappe.enqueue(
		SEND_JOB,
		queue="short",
		message=name,
		job_id=f"whatsapp_chatbot:send:{name}:{attempt}",
		deduplicate=True,
		enqueue_after_commit=True,
	)


def send_inline(contact: str) -> None:
	"""Send what the processing job just queued, in that job: one job per turn instead of two
	(every RQ job costs a fork). If it cannot, a send job takes over."""
	try:
		drain(contact)
	except Exception:
		frappe.db.rollback()
		# without the traceback's local variables: a Graph client frame holds the access token
		frappe.log_error(
			title=f"WhatsApp inline send for {contact} failed; handed to a send job",
			message=frappe.get_traceback(with_context=False),
		)
		first = frappe.db.get_value(
			MESSAGE,
			{"contact": contact, "direction": "Outgoing", "status": "Queued"},
			"name",
			order_by="creation asc",
		)
		if first:
			enqueue_send(first, attempt="inline-fallback")
			frappe.db.commit()


def drain(contact: str) -> int:
	"""Send the contact's queued messages, oldest first; returns how many were sent.

	Stops at the first message that must wait (back-off) so later ones never overtake it.
	"""
	settings = get_settings()
	sent = 0
	with locks.held(f"send:{contact}", timeout=max(60, int(settings.graph_timeout or 20) * 3)):
		while True:
			name = frappe.db.get_value(
				MESSAGE,
				{"contact": contact, "direction": "Outgoing", "status": "Queued"},
				"name",
				order_by="creation asc",
			)
			if not name:
				return sent
			outcome = send_one(name, settings)
			frappe.db.commit()  # the outcome of a Graph call is recorded before the next one
			if outcome == "sent":
				sent += 1
			elif outcome == "wait":
				return sent


def send_one(name: str, settings=None) -> str:
	"""One message through the Graph API. Returns 'sent', 'failed' or 'wait' (retry later)."""
	settings = settings or get_settings()
	row = frappe.get_doc(MESSAGE, name, for_update=True)
	if row.status != "Queued":
		return "skipped"
	if row.next_attempt_at and get_datetime(row.next_attempt_at) > now_datetime():
		return "wait"
	body = json.loads(row.request_body)
	if row.channel == "Terminal":
		# the terminal chat prints it and the Playground shows it (standin.delivered); nothing to send
		row.db_set(
			{"status": "Sent", "wamid": f"terminal.{row.name}", "sent_at": now_datetime(), "attempts": 1}
		)
		standin.delivered(row)
		return "sent"
	contact = frappe.get_doc(contacts.CONTACT, row.contact)
	if body.get("type") != "template" and not contacts.in_service_window(contact):
		return _outside_window(row, body, settings, GraphError(WINDOW_CLOSED, code=OUTSIDE_WINDOW_CODE))

	while True:
		row.db_set({"status": "Sending", "attempts": (row.attempts or 0) + 1, "next_attempt_at": None})
		frappe.db.commit()  # a worker killed during the call leaves a visible "Sending" row
		try:
			client = graph_client(settings)
			kind = body.get("type")
			if kind in ("document", "image") and not body[kind].get("id"):
				body[kind]["id"] = _upload(client, row)
				row.db_set("request_body", json.dumps(body, ensure_ascii=False))
			wamid = client.send(body, wa_id=contact.wa_id, user_id=contact.user_id)
		except GraphError as error:
			outcome = _failed_attempt(row, body, settings, error)
			if outcome != "retry-now":
				return outcome
			continue
		row.db_set(
			{
				"status": "Sent",
				"wamid": wamid,
				"sent_at": now_datetime(),
				"error_code": None,
				"error_message": None,
			}
		)
		statuses.apply_pending(wamid)
		return "sent"


def _upload(client, row) -> str:
	file = frappe.get_last_doc("File", filters={"attached_to_doctype": MESSAGE, "attached_to_name": row.name})
	return client.upload_media(file.get_content(), file.file_name, _mime(file.file_name))


def _mime(filename: str) -> str:
	import mimetypes

	return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _failed_attempt(row, body: dict, settings, error: GraphError) -> str:
	if error.invalid_token:
		alerts.invalid_token(error)
		return _fail(row, error.describe(), error.code)
	if error.outside_window:
		return _outside_window(row, body, settings, error)
	max_attempts = int(settings.max_send_attempts or 6)
	if error.retryable and row.attempts < max_attempts:
		delay = backoff_seconds(row.attempts)
		row.db_set(
			{"status": "Queued", "error_code": str(error.code or ""), "error_message": error.describe()}
		)
		if delay <= int(settings.inline_retry_seconds or 0):
			frappe.db.commit()
			time.sleep(delay)
			return "retry-now"
		row.db_set("next_attempt_at", add_to_date(now_datetime(), seconds=delay))
		return "wait"
	return _fail(row, error.describe(), error.code)


def _outside_window(row, body: dict, settings, error: GraphError) -> str:
	if settings.fallback_template and body.get("type") != "template":
		# Only a template may open a conversation again; the original text stays on the row.
		template = outgoing.template(settings.fallback_template, settings.fallback_template_language or "en")
		row.db_set(
			{
				"status": "Queued",
				"request_body": json.dumps(template),
				"message_type": "template",
				"error_code": str(error.code),
				"error_message": f"{error.describe()}; replaced by template {settings.fallback_template}",
			}
		)
		return "retry-template"
	return _fail(row, WINDOW_CLOSED, OUTSIDE_WINDOW_CODE)


def _fail(row, reason: str, code: int | None) -> str:
	row.db_set({"status": "Failed", "error_code": str(code) if code else None, "error_message": reason})
	return "failed"
