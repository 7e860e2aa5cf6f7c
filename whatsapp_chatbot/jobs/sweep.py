"""Scheduled every minute: pick up what a killed worker or a flushed Redis left behind.

- incoming messages still Received/Processing after `stale_after_seconds` are enqueued again
  (processing is idempotent, so an extra job costs nothing);
- outgoing messages Queued whose back-off is over, or left Sending by a dead worker, are sent
  again (a Sending row may or may not have reached Meta: losing an answer is worse than a rare
  duplicate, and a row marked Sent is never sent again);
- status events that arrived before their message had its wamid are applied;
- confirmations nobody answered in time are marked Expired.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.channel import inbox, outbox, statuses
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.tools import confirmation

MESSAGE = "Chatbot Message"


def sweep() -> dict:
	settings = get_settings()
	now = now_datetime()
	stale = add_to_date(now, seconds=-int(settings.stale_after_seconds or 180))
	counts = {"incoming": 0, "outgoing": 0, "statuses": 0}
	counts["expired_confirmations"] = confirmation.expire_stale()

	for row in frappe.get_all(
		MESSAGE,
		filters={
			"direction": "Incoming",
			"status": ("in", ("Received", "Processing")),
			"modified": ("<", stale),
		},
		fields=["name", "wamid", "attempts"],
		order_by="creation asc",
		limit=500,
	):
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
