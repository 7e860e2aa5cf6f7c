"""Store a template webhook on its Chatbot Template: the status as Meta means it (lifecycle.py),
one Chatbot Template Event per change, and a note to the managers when a template in use stops.

Called by the webhook (channel/inbox.py), one event per transaction. The template's row is locked
first, so two deliveries of the same change (Meta retries) cannot both append it: the second one
finds the first one's event key and stores nothing. A change for a template never synced creates a
minimal row (name, language, Meta's id, the status) so that nothing Meta said is lost; Sync from
Meta fills in the rest. A change for another WhatsApp Business Account than the Settings' is not
ours: it is logged, not stored.
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot.channel import alerts
from whatsapp_chatbot.channel.template_events import TemplateEvent
from whatsapp_chatbot.message_templates import lifecycle, usage
from whatsapp_chatbot.message_templates.sync import TEMPLATE, find

SETTINGS = "WhatsApp Chatbot Settings"
EVENT = "Chatbot Template Event"
NEVER_SYNCED = "Known from a webhook only: Sync from Meta reads its content"


def record(event: TemplateEvent) -> str | None:
	"""Apply and store one change; the template's name, or None when not stored (a redelivery,
	another account's template)."""
	ours = frappe.db.get_single_value(SETTINGS, "business_account_id")
	if ours and event.business_account_id and event.business_account_id != ours:
		frappe.log_error(
			title="WhatsApp template webhook for another business account",
			message=json.dumps(event.raw, indent=1, ensure_ascii=False),
		)
		return None
	name, created = _locked_row(event)
	if frappe.db.exists(EVENT, {"parent": name, "parenttype": TEMPLATE, "event_key": event.key}):
		return None  # Meta delivered this change again
	doc = frappe.get_doc(TEMPLATE, name)
	before = doc.status
	result = lifecycle.outcome(
		event,
		doc.status,
		status_before=_status_before(doc),
		last_change_time=max((row.meta_time or 0 for row in doc.events if row.status_changed), default=0),
	)
	_apply(doc, result, event)
	if created:
		doc.status_reason = "; ".join(filter(None, (doc.status_reason, NEVER_SYNCED)))
	doc.append(
		"events",
		{
			"event": _label(event),
			"received_at": now_datetime(),
			"detail": result.detail,
			"payload": json.dumps(event.raw, indent=1, ensure_ascii=False),
			"event_key": event.key,
			"meta_time": event.time,
			"previous_status": before,
			# the event decided the status (even to the same one): later, older events yield to it
			"status_changed": int(bool(result.status)),
		},
	)
	doc.save(ignore_permissions=True)
	if result.stops_sending and doc.status != before:
		uses = usage.uses(doc.name)
		if uses:
			alerts.template_stopped(doc.name, doc.status, doc.status_reason, uses)
	return doc.name


def _locked_row(event: TemplateEvent) -> tuple[str, bool]:
	"""The template's row, locked for this transaction, and whether it was created (minimal) now."""
	name = find(event.template_id, event.name, event.language)
	created = False
	if not name:
		if not (event.name and event.language):
			raise ValueError(f"template {event.template_id} is unknown and the webhook does not name it")
		try:
			doc = frappe.get_doc(
				{
					"doctype": TEMPLATE,
					"template_name": event.name,
					"language": event.language,
					"template_id": event.template_id,
					"business_account_id": event.business_account_id,
					"category": event.category if event.category in lifecycle.CATEGORIES else None,
				}
			).insert(ignore_permissions=True)
			name, created = doc.name, True
		except frappe.DuplicateEntryError:
			# another delivery created it a moment ago: use that one
			frappe.db.rollback()
			name = find(event.template_id, event.name, event.language)
	frappe.db.sql(f"select name from `tab{TEMPLATE}` where name=%s for update", name)
	return name, created


def _apply(doc, result: lifecycle.Outcome, event: TemplateEvent) -> None:
	if result.status:
		doc.status = result.status
	if result.flagged is not None:
		doc.flagged = int(result.flagged)
	if result.reason is not None:
		doc.status_reason = result.reason or None
	if result.quality_score:
		doc.quality_score = result.quality_score
	if result.category:
		doc.category = result.category
	if event.template_id and not doc.template_id:
		doc.template_id = event.template_id


def _status_before(doc) -> dict[str, str]:
	"""The status each template had before it was last archived or locked."""
	before: dict[str, str] = {}
	for row in doc.events:
		if (
			row.status_changed
			and row.event in ("ARCHIVED", "LOCKED")
			and row.previous_status not in (None, "", row.event)
		):
			before[row.event] = row.previous_status
	return before


def _label(event: TemplateEvent) -> str:
	if event.kind == "message_template_quality_update":
		return f"QUALITY {event.new}"
	if event.kind == "template_category_update":
		return f"CATEGORY {event.correct_category or event.new}"
	return event.event
