"""Delivery statuses of outgoing messages (sent, delivered, read, played, failed).

Every status Meta reports is first recorded as a Chatbot Status Event, then applied to the outgoing
Chatbot Message with that wamid. A status can arrive before the send job has committed the wamid it
got from Meta (Meta is fast, our commit is not); such an event stays unapplied and is applied by the
send job when it records the wamid, or by the sweep. Statuses arrive out of order, so a status never
moves a message backwards (read stays read when a late "delivered" comes in).
"""

from __future__ import annotations

import hashlib
import json

import frappe

from whatsapp_chatbot.channel import errors, template_send
from whatsapp_chatbot.channel.log_rows import column_chars, log_insert, meta_datetime
from whatsapp_chatbot.channel.payload import StatusUpdate
from whatsapp_chatbot.realtime import transcript

EVENT = "Chatbot Status Event"
MESSAGE = "Chatbot Message"

META_STATUS = {
	"sent": "Sent",
	"delivered": "Delivered",
	"read": "Read",
	"played": "Played",
	"failed": "Failed",
}
RANK = {"Queued": 0, "Sending": 1, "Sent": 2, "Delivered": 3, "Read": 4, "Played": 5}
TIMESTAMP_FIELD = {"Sent": "sent_at", "Delivered": "delivered_at", "Read": "read_at", "Played": "read_at"}


def record(update: StatusUpdate) -> str | None:
	"""Store one status event (once per wamid and status) and apply it if its message is known."""
	event_key = f"{update.wamid}:{update.status}"
	if len(event_key) > column_chars(EVENT, "event_key"):
		# cut, two statuses of one over-long wamid would share a key: a digest stays one per pair
		event_key = "sha256:" + hashlib.sha256(event_key.encode("utf-8", "replace")).hexdigest()
	if frappe.db.exists(EVENT, {"event_key": event_key}):
		return None
	event = frappe.get_doc(
		{
			"doctype": EVENT,
			"wamid": update.wamid,
			"status": update.status,
			"event_key": event_key,
			"meta_timestamp": meta_datetime(update.timestamp),
			"recipient": update.recipient_wa_id or update.recipient_user_id,
			"error_code": str(update.error_code) if update.error_code else None,
			"error_message": update.error_message,
			"payload": json.dumps(update.raw, ensure_ascii=False),
		}
	)
	if not log_insert(event):
		return None
	apply(event.name)
	return event.name


def apply_pending(wamid: str) -> int:
	"""Apply the events that came in before the message had its wamid; returns how many."""
	names = frappe.get_all(
		EVENT,
		filters={"wamid": wamid, "applied": 0},
		order_by="meta_timestamp asc, creation asc",
		pluck="name",
	)
	return sum(apply(name) for name in names)


def apply(event_name: str) -> bool:
	event = frappe.db.get_value(
		EVENT,
		event_name,
		["wamid", "status", "meta_timestamp", "error_code", "error_message", "applied"],
		as_dict=True,
	)
	if not event or event.applied:
		return False
	message = frappe.db.get_value(
		MESSAGE,
		{"wamid": event.wamid, "direction": "Outgoing"},
		["name", "status", "conversation", "template"],
		as_dict=True,
		for_update=True,
	)
	if not message:
		return False
	new_status = META_STATUS.get(event.status)
	changes = {}
	if new_status == "Failed":
		# A failure after delivery is not believable; before it, it is the final word.
		if RANK.get(message.status, 0) < RANK["Delivered"] and not _held_instead(message, event):
			changes = {
				"status": "Failed",
				"error_code": event.error_code,
				# what to do (a template error, 131049 …), as when Meta answers the send itself
				"error_message": errors.with_advice(event.error_code, event.error_message),
			}
			template_send.after_meta_error(message.template, event.error_code)
	elif new_status and RANK.get(new_status, 0) > RANK.get(message.status, -1) and message.status != "Failed":
		changes["status"] = new_status
	if new_status in TIMESTAMP_FIELD:
		field = TIMESTAMP_FIELD[new_status]
		if not frappe.db.get_value(MESSAGE, message.name, field):
			changes[field] = event.meta_timestamp
	if changes:
		frappe.db.set_value(MESSAGE, message.name, changes, update_modified=True)
		transcript.changed(message.conversation, MESSAGE, message.name)  # Meta's ticks, live
	frappe.db.set_value(EVENT, event_name, {"applied": 1, "message": message.name}, update_modified=False)
	return True


def _held_instead(message, event) -> bool:
	"""Meta reports after the send that the 24-hour window was closed (131047): the message is held
	for the contact's next message, as when Meta answers so at once (channel/held.py), not lost."""
	if message.template or str(event.error_code or "") != str(errors.OUTSIDE_WINDOW_CODE):
		return False
	from whatsapp_chatbot.channel import contacts, held
	from whatsapp_chatbot.channel.settings import get_settings

	row = frappe.get_doc(MESSAGE, message.name)
	if not row.contact:
		return False
	error = errors.GraphError(event.error_message or "Re-engagement message", code=errors.OUTSIDE_WINDOW_CODE)
	held.hold(row, frappe.get_doc(contacts.CONTACT, row.contact), get_settings(), error)
	return True
