"""Parse Meta's WhatsApp Cloud API webhook bodies into plain events.

Pure module: no `frappe` import, so every sample in shared/webhook-samples can be unit-tested
without a site. The webhook stores what this returns; nothing here touches the database.

One POST can batch many entries and changes (Meta aggregates up to 1000 updates), so the parser
never stops at the first item: an item it cannot use becomes a `WebhookError` and the rest of the
batch is still returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from whatsapp_chatbot.channel import template_events

MAX_BODY_BYTES = 3 * 1024 * 1024  # Meta: "payloads up to 3 MB"

# Types whose content lives in a media object with an id (downloaded later through the Graph API).
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


class PayloadError(ValueError):
	"""The body is not JSON or not a WhatsApp Business Account webhook."""


@dataclass
class InboundMessage:
	"""One entry of `value.messages[]`: something a WhatsApp user sent us."""

	wamid: str
	message_type: str
	timestamp: int | None
	sender_wa_id: str | None  # phone number id; Meta may omit it for username users (BSUID)
	sender_user_id: str | None  # business-scoped user id (`from_user_id` / `contacts[].user_id`)
	sender_name: str | None
	phone_number_id: str | None  # our business number that received it
	text: str | None = None  # body, caption, button/list title, reaction emoji, readable summary
	reply_to: str | None = None  # wamid this replies to, reacts to, edits or revokes
	interactive_id: str | None = None  # button / list row id, template button payload
	media_id: str | None = None
	media_mime_type: str | None = None
	media_sha256: str | None = None
	media_filename: str | None = None
	is_voice: bool = False
	latitude: float | None = None
	longitude: float | None = None
	forwarded: bool = False
	error_code: int | None = None
	error_message: str | None = None
	raw: dict = field(default_factory=dict)

	@property
	def sender_key(self) -> str:
		"""Stable id of the sender, used for the per-contact lock and ordering.

		The business-scoped id is preferred because Meta may omit the phone number (`from`),
		never the other way round in 2026 payloads.
		"""
		return self.sender_user_id or self.sender_wa_id or ""


@dataclass
class StatusUpdate:
	"""One entry of `value.statuses[]`: what happened to a message we sent."""

	wamid: str
	status: str  # sent | delivered | read | played | failed (| deleted / warning in rare cases)
	timestamp: int | None
	recipient_wa_id: str | None
	recipient_user_id: str | None
	error_code: int | None = None
	error_message: str | None = None
	raw: dict = field(default_factory=dict)


@dataclass
class WebhookError:
	"""A value-level error (system/app/account), or an item of the batch we could not read."""

	code: int | None
	message: str
	phone_number_id: str | None = None
	raw: dict = field(default_factory=dict)


@dataclass
class ParsedWebhook:
	messages: list[InboundMessage] = field(default_factory=list)
	statuses: list[StatusUpdate] = field(default_factory=list)
	errors: list[WebhookError] = field(default_factory=list)
	ignored_fields: list[str] = field(default_factory=list)
	template_events: list[template_events.TemplateEvent] = field(default_factory=list)


def parse_webhook(body: bytes | str | dict) -> ParsedWebhook:
	"""Turn a raw webhook body into messages, statuses and errors.

	Raises PayloadError when the body is not JSON or not a WhatsApp Business Account payload.
	"""
	data = _load(body)
	if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
		raise PayloadError("not a WhatsApp Business Account webhook")
	entries = data.get("entry")
	if not isinstance(entries, list):
		raise PayloadError("webhook has no entry list")

	parsed = ParsedWebhook()
	for entry in entries:
		for change in _list((entry if isinstance(entry, dict) else {}).get("changes")):
			if not isinstance(change, dict):
				continue
			if change.get("field") in template_events.FIELDS:
				_parse_template_change(entry, change, parsed)
				continue
			if change.get("field") != "messages":
				parsed.ignored_fields.append(str(change.get("field")))
				continue
			value = change.get("value")
			if isinstance(value, dict):
				_parse_value(value, parsed)
			else:
				parsed.errors.append(WebhookError(None, "unreadable change value", raw=change))
	return parsed


def _parse_template_change(entry: dict, change: dict, parsed: ParsedWebhook) -> None:
	try:
		parsed.template_events.append(template_events.parse(entry, change))
	except (TypeError, ValueError, AttributeError) as e:
		parsed.errors.append(WebhookError(None, f"unreadable template change: {e}", raw=change))


def _load(body: bytes | str | dict) -> Any:
	if isinstance(body, dict):
		return body
	if isinstance(body, bytes | bytearray):
		if len(body) > MAX_BODY_BYTES:
			raise PayloadError("body larger than 3 MB")
		try:
			body = body.decode("utf-8")
		except UnicodeDecodeError as e:
			raise PayloadError("body is not UTF-8") from e
	try:
		return json.loads(body)
	except (TypeError, ValueError) as e:
		raise PayloadError("body is not JSON") from e


def _parse_value(value: dict, parsed: ParsedWebhook) -> None:
	metadata = value.get("metadata")
	phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
	phone_number_id = str(phone_number_id) if phone_number_id not in (None, "") else None
	contacts = [c for c in _list(value.get("contacts")) if isinstance(c, dict)]

	for error in _list(value.get("errors")):
		try:
			parsed.errors.append(_webhook_error(error, phone_number_id))
		except (TypeError, ValueError, AttributeError) as e:
			parsed.errors.append(
				WebhookError(None, f"unreadable error: {e!r}", phone_number_id, raw=_as_dict(error))
			)

	for raw in _list(value.get("messages")):
		try:
			parsed.messages.append(_parse_message(raw, contacts, phone_number_id))
		except (KeyError, TypeError, ValueError, AttributeError) as e:
			parsed.errors.append(
				WebhookError(None, f"unreadable message: {e!r}", phone_number_id, raw=_as_dict(raw))
			)

	for raw in _list(value.get("statuses")):
		try:
			parsed.statuses.append(_parse_status(raw))
		except (KeyError, TypeError, ValueError, AttributeError) as e:
			parsed.errors.append(
				WebhookError(None, f"unreadable status: {e!r}", phone_number_id, raw=_as_dict(raw))
			)


def _list(value: Any) -> list:
	"""A list Meta sends, or nothing: a value of another shape yields no items (not the characters
	of a string, nor the keys of an object)."""
	return value if isinstance(value, list) else []


def _as_dict(raw: Any) -> dict:
	return raw if isinstance(raw, dict) else {"value": repr(raw)}


def _webhook_error(error: dict, phone_number_id: str | None) -> WebhookError:
	error = _as_dict(error)
	return WebhookError(
		code=_int(error.get("code")),
		message=_error_text(error),
		phone_number_id=phone_number_id,
		raw=error,
	)


def _error_text(error: dict) -> str:
	title = error.get("title") or error.get("message") or ""
	details = (error.get("error_data") or {}).get("details") or ""
	return f"{title}: {details}" if title and details and details != title else (title or details)


def _int(value: Any) -> int | None:
	try:
		return int(value)
	except (TypeError, ValueError):
		return None


def _find_contact(contacts: list[dict], wa_id: str | None, user_id: str | None) -> dict:
	for contact in contacts:
		if (wa_id and contact.get("wa_id") == wa_id) or (user_id and contact.get("user_id") == user_id):
			return contact
	# Meta sends one contact per message batch in practice; when ids don't match (edited
	# payloads) the single contact is still the sender's profile.
	return contacts[0] if len(contacts) == 1 else {}


def _parse_message(raw: dict, contacts: list[dict], phone_number_id: str | None) -> InboundMessage:
	wamid = raw["id"]
	if not isinstance(wamid, str) or not wamid:
		raise ValueError("message without id")
	wa_id = raw.get("from") or None
	user_id = raw.get("from_user_id") or None
	contact = _find_contact(contacts, wa_id, user_id)
	wa_id = wa_id or contact.get("wa_id") or None
	user_id = user_id or contact.get("user_id") or None
	if not (wa_id or user_id):
		raise ValueError("message without sender")

	message_type = raw.get("type") or "unknown"
	message = InboundMessage(
		wamid=wamid,
		message_type=message_type,
		timestamp=_int(raw.get("timestamp")),
		sender_wa_id=wa_id,
		sender_user_id=user_id,
		sender_name=(contact.get("profile") or {}).get("name"),
		phone_number_id=phone_number_id,
		raw=raw,
	)
	context = raw.get("context") or {}
	message.reply_to = context.get("id")
	message.forwarded = bool(context.get("forwarded") or context.get("frequently_forwarded"))
	errors = raw.get("errors") or []
	if errors:
		message.error_code = _int(errors[0].get("code"))
		message.error_message = _error_text(errors[0])

	_fill_content(message, message_type, raw)
	return message


def _fill_content(message: InboundMessage, message_type: str, raw: dict) -> None:
	"""Set the type-specific fields; `raw` is the message (or the edited message inside an edit)."""
	content = raw.get(message_type)
	content = content if isinstance(content, dict) else {}

	if message_type == "text":
		message.text = content.get("body")
	elif message_type in MEDIA_TYPES:
		message.media_id = content.get("id")
		message.media_mime_type = content.get("mime_type")
		message.media_sha256 = content.get("sha256")
		message.media_filename = content.get("filename")
		message.text = content.get("caption")
		message.is_voice = bool(content.get("voice"))
	elif message_type == "location":
		message.latitude = content.get("latitude")
		message.longitude = content.get("longitude")
		place = ", ".join(p for p in (content.get("name"), content.get("address")) if p)
		message.text = place or f"{message.latitude}, {message.longitude}"
	elif message_type == "contacts":
		message.text = _contacts_text(raw.get("contacts") or [])
	elif message_type == "reaction":
		message.reply_to = content.get("message_id")
		message.text = content.get("emoji") or ""  # empty emoji = reaction removed
	elif message_type == "interactive":
		_fill_interactive(message, content)
	elif message_type == "button":  # quick-reply button of a template
		message.text = content.get("text")
		message.interactive_id = content.get("payload")
	elif message_type == "order":
		message.text = _order_text(content)
	elif message_type == "system":
		message.text = content.get("body")
	elif message_type == "edit":
		message.reply_to = content.get("original_message_id")
		edited = content.get("message") or {}
		edited_type = edited.get("type")
		if edited_type:
			inner = InboundMessage(message.wamid, edited_type, None, None, None, None, None)
			_fill_content(inner, edited_type, edited)
			message.text = inner.text
			message.media_id, message.media_mime_type = inner.media_id, inner.media_mime_type
			message.media_sha256, message.media_filename = inner.media_sha256, inner.media_filename
	elif message_type == "revoke":
		message.reply_to = content.get("original_message_id")
	elif message_type == "unsupported":
		message.text = content.get("type")  # e.g. "edit", "poll": what the user tried to send


def _fill_interactive(message: InboundMessage, interactive: dict) -> None:
	kind = interactive.get("type")
	reply = interactive.get(kind) if kind else None
	reply = reply if isinstance(reply, dict) else {}
	if kind in ("button_reply", "list_reply"):
		message.interactive_id = reply.get("id")
		message.text = reply.get("title")
	elif kind == "nfm_reply":  # a WhatsApp Flow was submitted
		message.interactive_id = reply.get("name")
		message.text = reply.get("response_json") or reply.get("body")


def _contacts_text(shared: list) -> str:
	lines = []
	for card in shared:
		name = (card.get("name") or {}).get("formatted_name") or ""
		phones = ", ".join(p.get("phone") or p.get("wa_id") or "" for p in card.get("phones") or [])
		lines.append(f"{name}: {phones}" if phones else name)
	return "\n".join(line for line in lines if line)


def _order_text(order: dict) -> str:
	items = [
		f"{item.get('quantity')} x {item.get('product_retailer_id')} @ {item.get('item_price')} {item.get('currency') or ''}".strip()
		for item in order.get("product_items") or []
	]
	return "\n".join(filter(None, [order.get("text") or "", *items]))


def _parse_status(raw: dict) -> StatusUpdate:
	wamid = raw["id"]
	status = raw["status"]
	if not isinstance(wamid, str) or not wamid or not isinstance(status, str):
		raise ValueError("status without id")
	update = StatusUpdate(
		wamid=wamid,
		status=status,
		timestamp=_int(raw.get("timestamp")),
		recipient_wa_id=raw.get("recipient_id"),
		recipient_user_id=raw.get("recipient_user_id"),
		raw=raw,
	)
	errors = raw.get("errors") or []
	if errors:
		update.error_code = _int(errors[0].get("code"))
		update.error_message = _error_text(errors[0])
	return update
