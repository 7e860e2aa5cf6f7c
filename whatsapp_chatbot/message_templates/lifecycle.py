"""What each of Meta's template webhooks means for the stored template. Pure module: no frappe.

Meta's semantics (its message_template_status_update reference, the template pausing and archival
pages, pywa's TemplateStatus):
- FLAGGED is an event on an APPROVED template (negative feedback, it may be disabled on
  `disable_date`): the status stays, the template is marked flagged.
- PAUSED: low quality. A first pause lasts 3 hours, a second 6 hours, a third disables it. When the
  pause ends Meta sends APPROVED (with `other_info.title` UNPAUSE); REINSTATED and UNPAUSED also
  mean it can be sent again. Each of them clears the flag.
- DISABLED (disable_info.disable_date), REJECTED (reason, rejection_info), PENDING, IN_APPEAL,
  PENDING_DELETION, DELETED, LIMIT_EXCEEDED, ARCHIVED, LOCKED: the status Meta names.
- UNARCHIVED and UNLOCKED restore the status the template had before it was archived or locked.
- Anything else is stored as an event and changes nothing: a new event of Meta's must not overwrite
  a status with a word the app does not know.
- An event older than the last one that changed the status is stored but changes nothing either
  (Meta retries deliveries, which can then arrive after a newer one).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from whatsapp_chatbot.channel.template_events import CATEGORY, QUALITY, STATUS, TemplateEvent

# the statuses a Chatbot Template can hold (its Select field), Meta's words
STATUSES = frozenset(
	(
		"APPROVED",
		"PENDING",
		"REJECTED",
		"PAUSED",
		"DISABLED",
		"IN_APPEAL",
		"PENDING_DELETION",
		"DELETED",
		"LIMIT_EXCEEDED",
		"ARCHIVED",
		"LOCKED",
	)
)
BACK_TO_APPROVED = frozenset(("APPROVED", "REINSTATED", "UNPAUSED"))
RESTORING = {"UNARCHIVED": "ARCHIVED", "UNLOCKED": "LOCKED"}  # event: the status it undoes
STOPS_SENDING = frozenset(("PAUSED", "DISABLED"))
QUALITY_SCORES = frozenset(("GREEN", "YELLOW", "RED", "UNKNOWN"))
CATEGORIES = frozenset(("UTILITY", "MARKETING", "AUTHENTICATION"))
PAUSE_LENGTH = {"FIRST_PAUSE": "3 hours", "SECOND_PAUSE": "6 hours"}


@dataclass
class Outcome:
	detail: str  # one line for the event row
	status: str | None = None  # the new status; None leaves it
	flagged: bool | None = None  # None leaves it
	reason: str | None = None  # the new status_reason; None leaves it
	quality_score: str | None = None
	category: str | None = None
	stops_sending: bool = False  # the template can no longer be sent (tell the managers if in use)


def outcome(
	event: TemplateEvent,
	status: str | None,
	*,
	status_before: dict[str, str] | None = None,
	last_change_time: int | None = None,
) -> Outcome:
	"""What `event` does to a template whose status is `status`. `status_before` maps ARCHIVED /
	LOCKED to the status the template had before its last such event; `last_change_time` is the
	Meta time of the last event that changed its status."""
	if event.kind == QUALITY:
		score = event.new if event.new in QUALITY_SCORES else None
		detail = f"Quality {event.previous or 'UNKNOWN'} → {event.new}"
		return Outcome(detail, quality_score=score)
	if event.kind == CATEGORY:
		return _category(event)
	if event.kind != STATUS:
		return Outcome(f"Unknown change {event.kind}")
	stale = bool(last_change_time and event.time and event.time < last_change_time)
	result = _status(event, status, status_before or {})
	if stale and (result.status or result.flagged is not None):
		return Outcome(f"{result.detail} (older than the last change stored: status left as it is)")
	return result


def _status(event: TemplateEvent, status: str | None, status_before: dict[str, str]) -> Outcome:
	name = event.event
	if name == "FLAGGED":
		when = _date(event.disable_date)
		reason = "Flagged by Meta: users gave negative feedback"
		reason += f"; it will be disabled on {when} unless its quality improves" if when else ""
		return Outcome(f"FLAGGED{f' (disable date {when})' if when else ''}", flagged=True, reason=reason)
	if name in BACK_TO_APPROVED:
		note = _other(event)
		detail = name + (f": {note}" if note else "")
		reason = "Unpaused by Meta" if event.other_title == "UNPAUSE" or status == "PAUSED" else None
		if name == "REINSTATED":
			reason = "Reinstated by Meta"
		return Outcome(detail, status="APPROVED", flagged=False, reason=reason or "")
	if name == "PAUSED":
		length = PAUSE_LENGTH.get(event.other_title or "")
		reason = "Paused by Meta for low quality" + (f" for {length}" if length else "")
		note = _other(event)
		reason += f": {note}" if note else ""
		return Outcome(
			f"PAUSED{f' ({note})' if note else ''}",
			"PAUSED",
			reason=reason,
			stops_sending=True,
		)
	if name == "DISABLED":
		when = _date(event.disable_date)
		reason = "Disabled by Meta (paused too many times for low quality); it can no longer be sent"
		reason += f" (since {when})" if when else ""
		return Outcome(
			f"DISABLED{f' on {when}' if when else ''}", "DISABLED", reason=reason, stops_sending=True
		)
	if name == "REJECTED":
		parts = [f"Rejected by Meta: {event.reason or 'no reason given'}"]
		if event.rejection_reason:
			parts.append(event.rejection_reason)
		if event.rejection_recommendation:
			parts.append(f"What to do: {event.rejection_recommendation}")
		return Outcome(f"REJECTED ({event.reason or 'no reason'})", "REJECTED", reason=". ".join(parts))
	if name in RESTORING:
		previous = status_before.get(RESTORING[name])
		if status != RESTORING[name]:
			return Outcome(f"{name} (the template was not {RESTORING[name]}: status left as it is)")
		if not previous:
			return Outcome(f"{name} (its status before is unknown: Sync from Meta reads it)")
		return Outcome(f"{name}: back to {previous}", previous, reason="")
	if name in STATUSES:
		note = _other(event) or (event.reason if event.reason else "")
		return Outcome(name + (f": {note}" if note else ""), name, reason=note)
	return Outcome(f"{name or 'An event'} (not a status this app knows: status left as it is)")


def _category(event: TemplateEvent) -> Outcome:
	if event.correct_category:
		return Outcome(
			f"Meta will recategorise it from {event.new} to {event.correct_category} in 24 hours",
			reason=f"Meta will change its category to {event.correct_category} in 24 hours",
		)
	category = event.new if event.new in CATEGORIES else None
	return Outcome(f"Category {event.previous or '?'} → {event.new}", category=category)


def _other(event: TemplateEvent) -> str:
	return ": ".join(part for part in (event.other_title, event.other_description) if part)


def _date(timestamp: int | None) -> str | None:
	if not timestamp:
		return None
	return datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.timezone.utc).strftime(
		"%Y-%m-%d %H:%M UTC"
	)


def listed_status(meta_status: str | None) -> tuple[str | None, bool | None]:
	"""The (status, flagged) a template listed by Meta with this status has; (None, None) for a
	word the app does not know (the stored status is then left as it is)."""
	word = (meta_status or "").upper()
	if word == "FLAGGED":
		return "APPROVED", True
	if word in BACK_TO_APPROVED:
		return "APPROVED", None
	if word in STATUSES:
		return word, None
	return None, None
