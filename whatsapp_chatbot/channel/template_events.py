"""Read Meta's three template webhooks into plain events. Pure module: no frappe import.

Fields (the `changes[].field` Meta sends on the WhatsApp Business Account object; PROTOCOLS.md A8,
Meta's webhook references, pywa's types/templates.py):
- `message_template_status_update`: `event` (APPROVED, REJECTED, PAUSED, FLAGGED, DISABLED…),
  `message_template_id`, `_name`, `_language`, `_category`, `reason`, and when they apply
  `disable_info.disable_date`, `other_info.{title, description}` (pauses, locks),
  `rejection_info.{reason, recommendation}`;
- `message_template_quality_update`: `previous_quality_score`, `new_quality_score`;
- `template_category_update`: `new_category` with `previous_category` (it changed) or
  `correct_category` (it will change in 24 hours).
The entry's `id` is the WhatsApp Business Account and its `time` when Meta sent the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS = "message_template_status_update"
QUALITY = "message_template_quality_update"
CATEGORY = "template_category_update"
FIELDS = frozenset((STATUS, QUALITY, CATEGORY))


@dataclass
class TemplateEvent:
	kind: str  # one of FIELDS
	event: str  # the status event, or QUALITY / CATEGORY for the other two
	business_account_id: str | None
	time: int | None  # the entry's time (Unix seconds)
	template_id: str | None
	name: str | None
	language: str | None
	category: str | None = None  # the template's category (status) or its new category
	reason: str | None = None
	previous: str | None = None  # previous quality score / category
	new: str | None = None  # new quality score / category
	correct_category: str | None = None  # the category Meta will set in 24 hours
	disable_date: int | None = None
	other_title: str | None = None
	other_description: str | None = None
	rejection_reason: str | None = None
	rejection_recommendation: str | None = None
	raw: dict = field(default_factory=dict)

	@property
	def key(self) -> str:
		"""Same for a redelivery of the same change, different for anything else Meta sends: the
		template, what happened to it, and when Meta says it happened."""
		what = self.event if self.kind == STATUS else f"{self.event}:{self.previous}>{self.new}"
		if self.kind == CATEGORY and self.correct_category:
			what += f">>{self.correct_category}"
		who = self.template_id or f"{self.name}|{self.language}"
		return f"{who}:{what}:{self.time or 0}"[:140]


def parse(entry: dict, change: dict) -> TemplateEvent:
	"""One template change of an entry; ValueError when Meta's value cannot be read."""
	kind = change.get("field")
	value = change.get("value")
	if kind not in FIELDS or not isinstance(value, dict):
		raise ValueError(f"not a template change: {kind!r}")
	template_id = _text(value.get("message_template_id"))
	name = _text(value.get("message_template_name"))
	language = _text(value.get("message_template_language"))
	if not template_id and not (name and language):
		raise ValueError("template change without template id, name or language")
	event = TemplateEvent(
		kind=kind,
		event="",
		business_account_id=_text(entry.get("id")),
		time=_int(entry.get("time")),
		template_id=template_id,
		name=name,
		language=language,
		raw={"entry_id": entry.get("id"), "time": entry.get("time"), "field": kind, "value": value},
	)
	if kind == STATUS:
		_status(event, value)
	elif kind == QUALITY:
		event.event = "QUALITY"
		event.previous = _upper(value.get("previous_quality_score"))
		event.new = _upper(value.get("new_quality_score"))
		if not event.new:
			raise ValueError("quality update without new_quality_score")
	else:
		event.event = "CATEGORY"
		event.previous = _upper(value.get("previous_category"))
		event.new = _upper(value.get("new_category"))
		event.correct_category = _upper(value.get("correct_category"))
		event.category = event.new
		if not event.new:
			raise ValueError("category update without new_category")
	return event


def _status(event: TemplateEvent, value: dict) -> None:
	event.event = _upper(value.get("event")) or ""
	if not event.event:
		raise ValueError("status update without event")
	event.category = _upper(value.get("message_template_category"))
	reason = _text(value.get("reason"))
	event.reason = reason if reason and reason.upper() != "NONE" else None
	disable = value.get("disable_info")
	if isinstance(disable, dict):
		event.disable_date = _int(disable.get("disable_date"))
	other = value.get("other_info")
	if isinstance(other, dict):
		event.other_title = _text(other.get("title"))
		event.other_description = _text(other.get("description"))
	rejection = value.get("rejection_info")
	if isinstance(rejection, dict):
		event.rejection_reason = _text(rejection.get("reason"))
		event.rejection_recommendation = _text(rejection.get("recommendation"))


def _text(value) -> str | None:
	if value is None or isinstance(value, dict | list):
		return None
	text = str(value).strip()
	return text or None


def _upper(value) -> str | None:
	text = _text(value)
	return text.upper() if text else None


def _int(value) -> int | None:
	try:
		return int(value)
	except (TypeError, ValueError):
		return None
