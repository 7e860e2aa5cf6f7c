"""The way out: every outgoing WhatsApp message is a Chatbot Message row before it is sent.

`queue` writes the row (status Queued) and enqueues a send job after commit. The send job drains
the contact's queue in creation order under a per-contact lock, so the parts of a long answer
arrive in order even with several workers. Each attempt is committed before the Graph call
(status Sending) and after it (Sent with Meta's wamid, or the failure), so a crash leaves a row the
sweep can see, and a row that is Sent is never sent again. A processing job sends its turn's
answers itself (send_inline) while its time allows (jobs/budget.py), else a send job takes them.

Failures are handled by Meta's code (channel/errors.py): throttling, timeouts and 5xx retry after
4^n seconds up to `max_send_attempts`; 190 (bad token) fails at once and alerts the managers once;
a template error fails at once with what to do. A message that is not a template, while the 24-hour
window is closed (known in advance, or Meta's 131047), is held until the contact writes
(channel/held.py). Templates go through `queue_template` (channel/template_send.py).
"""

from __future__ import annotations

import json
import time

import frappe
from frappe.utils import add_to_date, get_datetime, now_datetime

from whatsapp_chatbot import rows
from whatsapp_chatbot.channel import (
	alerts,
	contacts,
	held,
	locks,
	outgoing,
	standin,
	statuses,
	template_send,
	uploads,
)
from whatsapp_chatbot.channel import template_message as tm
from whatsapp_chatbot.channel.errors import GraphError, backoff_seconds
from whatsapp_chatbot.channel.settings import get_settings, graph_client
from whatsapp_chatbot.channel.template_send import TemplateNotUsable
from whatsapp_chatbot.files import file_bytes
from whatsapp_chatbot.jobs.queues import turn_queue

__all__ = ["TemplateNotUsable", "queue", "queue_document", "queue_template", "queue_text"]

MESSAGE = "Chatbot Message"
SEND_JOB = "whatsapp_chatbot.jobs.send.send_queued"


def queue(
	contact,
	body: dict,
	conversation: str | None = None,
	answers: str | None = None,
	key: str | None = None,
	*,
	text: str | None = None,
	template: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	notification: str | None = None,
) -> str:
	"""Queue one message body (from `outgoing`) for `contact`; returns the Chatbot Message name.

	`key` makes queueing idempotent: a job that runs again finds the row it queued the first time.
	`reference_doctype`/`reference_name` link the message to the document it is about (shown on
	its timeline), `notification` to the Notification that sent it.
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
			"text": text or outgoing.summary(body),
			"template": template,
			"reference_doctype": reference_doctype,
			"reference_name": reference_name,
			"notification": notification,
			"request_body": json.dumps(body, ensure_ascii=False),
		}
	)
	# every link is a record the caller has just read: validating them is a query each, per reply
	doc.flags.ignore_links = True
	doc.insert(ignore_permissions=True)
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
	**links,
) -> str:
	"""Queue a file: kept as a private File on the row, uploaded to Meta by the send job (media ids
	expire, and an upload is a Graph call that may need retries like any other). PNG and JPEG go
	as an image message (shown inline, like a photo), anything else as a document. `links`:
	reference_doctype, reference_name, notification (see `queue`)."""
	kind = outgoing.media(mime_type)
	body = {"type": kind, kind: {"filename": filename} if kind == "document" else {}}
	if caption:
		body[kind]["caption"] = caption[: outgoing.CAPTION_LIMIT]
	name = queue(contact, body, conversation, answers, key, **links)
	_attach(name, filename, content)
	return name


def queue_template(
	contact,
	template: str,
	params: dict | None = None,
	*,
	document: tuple[str, bytes, str] | None = None,
	conversation: str | None = None,
	key: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	notification: str | None = None,
) -> str:
	"""Queue an approved Meta template (a Chatbot Template's name) with its parameters
	(channel/template_message.py: {"body", "header", "buttons"}) and, for a document/image/video
	header, `document` = (filename, bytes, MIME type), kept private and uploaded by the send job.

	TemplateNotUsable (nothing queued, no Graph call) when the template is unknown, not approved,
	or the parameters do not fit it; the message lists every reason and what the template needs."""
	if key:
		existing = frappe.db.get_value(MESSAGE, {"outbox_key": key})
		if existing:
			return existing
	prepared = template_send.prepare(template, params, document)
	name = queue(
		contact,
		prepared.body,
		conversation,
		key=key,
		text=prepared.text,
		template=prepared.template,
		reference_doctype=reference_doctype,
		reference_name=reference_name,
		notification=notification,
	)
	if document:
		_attach(name, document[0], document[1])
	return name


def _attach(name: str, filename: str, content: bytes) -> None:
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


def queue_text(
	contact,
	text: str,
	conversation: str | None = None,
	answers: str | None = None,
	key: str | None = None,
	**links,
) -> list[str]:
	"""Queue text of any length: one row per 4096-character part, keys suffixed by part. `links`:
	reference_doctype, reference_name, notification (see `queue`)."""
	parts = outgoing.split_text(text)
	return [
		queue(contact, outgoing.text(part), conversation, answers, f"{key}:{index}" if key else None, **links)
		for index, part in enumerate(parts)
	]


def queue_replies(contact, replies: list, conversation=None, answers=None, key: str | None = None) -> None:
	"""Queue what the dispatcher answered (outgoing bodies, and command Results carrying a file) in
	order, keys `{key}:{index}`: the Desk's Re-run and a subscription's run."""
	for index, reply in enumerate(replies):
		part = f"{key}:{index}" if key else None
		if isinstance(reply, dict):
			queue(contact, reply, conversation, answers=answers, key=part)
		else:
			filename, content, mime_type = reply.attachment
			queue_document(contact, filename, content, mime_type, reply.text, conversation, answers, part)


def enqueue_send(name: str, attempt: int = 0) -> None:
	frappe.enqueue(
		SEND_JOB,
		queue=turn_queue(),
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
		if held.release_if_open(contact):  # nothing newer overtakes what waited for the window
			frappe.db.commit()
		while True:
			name = frappe.db.get_value(
				MESSAGE,
				{"contact": contact, "direction": "Outgoing", "status": "Queued"},
				"name",
				order_by="creation asc",
			)
			if not name:
				return sent
			if short_of_time(settings):
				# a processing job near its timeout: a send job of its own, rather than RQ killing
				# this one mid-call (the row would sit in Sending until the sweep)
				enqueue_send(name, attempt=f"late{frappe.db.get_value(MESSAGE, name, 'attempts') or 0}")
				frappe.db.commit()
				return sent
			outcome = send_one(name, settings)
			frappe.db.commit()  # the outcome of a Graph call is recorded before the next one
			if outcome == "sent":
				sent += 1
			elif outcome == "wait":
				return sent


def short_of_time(settings) -> bool:
	"""In a processing job (jobs/budget.py), too little is left for one send with its inline retry."""
	spent = frappe.flags.get("whatsapp_chatbot_budget")
	if spent is None:
		return False
	graph_timeout = int(settings.graph_timeout or 20)
	return spent.left() < 2 * graph_timeout + int(settings.inline_retry_seconds or 0)


def send_one(name: str, settings=None) -> str:
	"""One message through the Graph API. Returns 'sent', 'failed' or 'wait' (retry later)."""
	settings = settings or get_settings()
	row = rows.locked(MESSAGE, name)
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
		return held.hold(row, contact, settings)  # no Graph call: Meta would refuse it (131047)
	if row.template:
		refused = template_send.refused_now(row.template)  # paused or disabled since it was queued
		if refused:
			return _fail(row, refused, None)
		if held.is_waiting(row):
			body = held.refresh(row, body)

	while True:
		row.db_set({"status": "Sending", "attempts": (row.attempts or 0) + 1, "next_attempt_at": None})
		frappe.db.commit()  # a worker killed during the call leaves a visible "Sending" row
		try:
			client = graph_client(settings)
			kind = body.get("type")
			if kind in ("document", "image") and not body[kind].get("id"):
				body[kind]["id"] = _upload(client, row)
				row.db_set("request_body", json.dumps(body, ensure_ascii=False))
			header = tm.header_media(body) if kind == "template" else None
			if header and not header[1].get("id"):  # a template's document/image header
				tm.set_header_media(body, _upload(client, row))
				row.db_set("request_body", json.dumps(body, ensure_ascii=False))
			wamid = client.send(body, wa_id=contact.wa_id, user_id=contact.user_id)
		except GraphError as error:
			outcome = _failed_attempt(row, contact, settings, error)
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
	return uploads.media_id(client, file_bytes(file), file.file_name, _mime(file.file_name))


def _mime(filename: str) -> str:
	import mimetypes

	return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _failed_attempt(row, contact, settings, error: GraphError) -> str:
	if error.invalid_token:
		alerts.invalid_token(error)
		return _fail(row, error.describe(), error.code)
	if error.outside_window and not row.template:
		return held.hold(row, contact, settings, error)
	if row.template:
		template_send.after_meta_error(row.template, error.code)
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


def _fail(row, reason: str, code: int | None) -> str:
	row.db_set({"status": "Failed", "error_code": str(code) if code else None, "error_message": reason})
	return "failed"
