"""Scheduled every minute: pick up what a killed worker or a flushed Redis left behind.

- incoming messages still Received/Processing after `stale_after_seconds` are enqueued again (on
  the turn queue, jobs/queues.py), unless a job of theirs still waits in the queue (a burst is not
  a loss) or their sender's lock is taken: a taken lock is a live
  worker in that sender's turn (it renews the lock while it lives, drains the sender's messages
  before letting go and looks once more after), however long the turn takes; a dead worker's lock
  expires and its messages are picked up then. With live workers the sweep is never what answers
  a message: only what a killed worker or a flushed Redis left;
- confirmed commands left Queued by a worker that died running them are failed, not run again
  (tools/confirmation.interrupted: the user is told once to check the document);
- outgoing messages Queued whose back-off is over, or left Sending by a dead worker, are sent
  again (a Sending row may or may not have reached Meta: losing an answer is worse than a rare
  duplicate, and a row marked Sent is never sent again);
- status events that arrived before their message had its wamid are applied;
- confirmations nobody answered in time are marked Expired.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.channel import inbox, locks, outbox, statuses
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.tools import confirmation

MESSAGE = "Chatbot Message"


def sweep() -> dict:
	settings = get_settings()
	now = now_datetime()
	stale = add_to_date(now, seconds=-int(settings.stale_after_seconds or 180))
	counts = {"incoming": 0, "outgoing": 0, "statuses": 0}
	counts["expired_confirmations"] = confirmation.expire_stale()
	counts["dead_long_commands"] = fail_dead_long_commands(settings)

	counts["interrupted_commands"] = fail_interrupted_commands(stale)

	busy = {}  # sender_key -> lock taken
	for row in frappe.get_all(
		MESSAGE,
		filters={
			"direction": "Incoming",
			"status": ("in", ("Received", "Processing")),
			"modified": ("<", stale),
		},
		fields=["name", "wamid", "attempts", "sender_key"],
		order_by="creation asc",
		limit=500,
	):
		if row.sender_key not in busy:
			busy[row.sender_key] = locks.is_held(locks.sender(row.sender_key))
		if busy[row.sender_key]:
			continue  # a live worker is in this sender's turn and answers it
		if inbox.processing_waits_in_queue(row.wamid, row.attempts):
			continue  # its job waits for a worker (a burst): it is not lost
		inbox.enqueue_processing(row.name, row.wamid, attempt=f"sweep{row.attempts or 0}")
		counts["incoming"] += 1

	for row in frappe.get_all(
		MESSAGE,
		filters={"direction": "Outgoing", "status": "Sending", "modified": ("<", stale)},
		fields=["name"],
		limit=500,
	):
		frappe.db.set_value(MESSAGE, row.name, {"status": "Queued", "next_attempt_at": now})

	due = frappe.get_all(
		MESSAGE,
		filters={"direction": "Outgoing", "status": "Queued"},
		or_filters={"next_attempt_at": ("<=", now), "modified": ("<", stale)},
		fields=["name", "attempts", "contact", "next_attempt_at", "modified"],
		order_by="creation asc",
		limit=500,
	)
	seen_contacts = set()
	for row in due:
		if row.contact in seen_contacts:
			continue  # one send job drains the whole contact queue in order
		seen_contacts.add(row.contact)
		outbox.enqueue_send(row.name, attempt=f"sweep{row.attempts or 0}")
		counts["outgoing"] += 1

	for wamid in frappe.get_all(
		statuses.EVENT,
		filters={"applied": 0, "creation": (">", add_to_date(now, days=-30))},
		pluck="wamid",
		distinct=True,
		limit=500,
	):
		counts["statuses"] += statuses.apply_pending(wamid)
	return counts


def fail_interrupted_commands(stale) -> int:
	"""Confirmed (Queued) commands that are not long and whose sender has no live worker: the
	worker that was running them died, maybe after the write happened. Failed, never run again."""
	failed = 0
	for row in frappe.get_all(
		"Chatbot Command",
		filters={
			"status": "Queued",
			"kind": ("!=", "Long"),
			"contact": ("is", "set"),  # commands another site started here have none (started.py)
			"modified": ("<", stale),
		},
		fields=["name", "message"],
		limit=200,
	):
		sender_key = frappe.db.get_value(MESSAGE, row.message, "sender_key") if row.message else None
		if sender_key and locks.is_held(locks.sender(sender_key)):
			continue  # still running in a live worker
		if confirmation.interrupted(row.name):
			failed += 1
	return failed


def fail_dead_long_commands(settings) -> int:
	"""Running long commands whose heartbeat stopped (killed worker, job past its timeout) are
	Failed, and the user is told once (the reply's outbox key makes it once)."""
	from whatsapp_chatbot import texts
	from whatsapp_chatbot.channel import contacts
	from whatsapp_chatbot.realtime import progress

	grace = add_to_date(now_datetime(), seconds=-progress.HEARTBEAT_TTL)
	failed = 0
	for name in frappe.get_all(
		"Chatbot Command",
		filters={"status": "Running", "kind": "Long", "started_at": ("<", grace)},
		pluck="name",
		limit=200,
	):
		if progress.is_alive(name):
			continue
		doc = frappe.get_doc("Chatbot Command", name, for_update=True)
		if doc.status != "Running":
			continue
		doc.db_set(
			{
				"status": "Failed",
				"finished_at": now_datetime(),
				"error": "the job stopped (worker killed or job timed out)",
			}
		)
		progress.publish(doc, doc.progress or 0, status="Failed")
		failed += 1
		if not doc.contact:
			continue  # started by another site (api/remote.py): that site tells its user
		contact = frappe.get_doc(contacts.CONTACT, doc.contact)
		language = contacts.language_of(contact, settings)
		reason = texts.translate("the job stopped", language)
		outbox.queue_text(
			contact,
			texts.text("long_failed", language, ref=doc.name, reason=reason),
			doc.conversation,
			answers=doc.message,
			key=f"{doc.name}:result",
		)
	return failed
