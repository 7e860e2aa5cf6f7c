"""Build the bodies of outgoing WhatsApp messages. Pure module: no frappe import.

Each builder returns the type-specific part of a `/messages` request ({"type": ..., <type>: {...}});
`address` adds the recipient. Limits are Meta's (PROTOCOLS.md A5) and are checked here, so a bad
message fails before it is queued rather than at Meta.
"""

from __future__ import annotations

import re

TEXT_LIMIT = 4096
BUTTON_LIMIT = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
INTERACTIVE_BODY_LIMIT = 1024
LIST_BODY_LIMIT = 4096
LIST_ROWS_LIMIT = 10
LIST_SECTIONS_LIMIT = 10
ROW_TITLE_LIMIT = 24
ROW_ID_LIMIT = 200
ROW_DESCRIPTION_LIMIT = 72
HEADER_FOOTER_LIMIT = 60
CAPTION_LIMIT = 1024
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})  # what Meta sends as an image message


class MessageTooLarge(ValueError):
	"""A part of the message is over one of Meta's limits."""


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
	"""Split text into chunks of at most `limit` characters.

	Cuts at the last paragraph break, else line break, else sentence end, else space inside the
	window; only a single unbroken run longer than `limit` is cut mid-word.
	"""
	text = (text or "").strip()
	chunks: list[str] = []
	while len(text) > limit:
		window = text[: limit + 1]
		cut = _best_cut(window, limit)
		chunks.append(text[:cut].rstrip())
		text = text[cut:].lstrip()
	if text:
		chunks.append(text)
	return chunks


_SENTENCE_END = re.compile(r"[.!?…。](?=\s)")


def _best_cut(window: str, limit: int) -> int:
	floor = limit // 3  # a cut too early would make many tiny messages
	for separator in ("\n\n", "\n"):
		index = window.rfind(separator, 0, limit)
		if index >= floor:
			return index + len(separator)
	ends = [m.end() for m in _SENTENCE_END.finditer(window) if floor <= m.end() <= limit]
	if ends:
		return ends[-1]
	index = window.rfind(" ", 0, limit)
	if index >= floor:
		return index + 1
	return limit


def address(
	body: dict, wa_id: str | None = None, user_id: str | None = None, reply_to: str | None = None
) -> dict:
	"""The full request: recipient by phone (`to`) or business-scoped id (`recipient`)."""
	if not (wa_id or user_id):
		raise ValueError("a message needs a recipient")
	request = {"messaging_product": "whatsapp", "recipient_type": "individual"}
	# Meta: `to` wins when both are given; BSUID-only users can only be reached by `recipient`.
	if wa_id:
		request["to"] = wa_id
	else:
		request["recipient"] = user_id
	if reply_to:
		request["context"] = {"message_id": reply_to}
	request.update(body)
	return request


def text(body: str, preview_url: bool = False) -> dict:
	if not body or not body.strip():
		raise ValueError("empty text message")
	if len(body) > TEXT_LIMIT:
		raise MessageTooLarge(f"text is {len(body)} characters, the limit is {TEXT_LIMIT}: split it first")
	return {"type": "text", "text": {"body": body, "preview_url": bool(preview_url)}}


def buttons(
	body: str, choices: list[tuple[str, str]], header: str | None = None, footer: str | None = None
) -> dict:
	"""Reply buttons: `choices` is [(id, title)], at most three, unique titles."""
	if not 1 <= len(choices) <= BUTTON_LIMIT:
		raise MessageTooLarge(f"reply buttons take 1 to {BUTTON_LIMIT} choices")
	titles = [title for _, title in choices]
	if len(set(titles)) != len(titles):
		raise ValueError("button titles must be unique")
	_check(body, INTERACTIVE_BODY_LIMIT, "button body")
	interactive = {
		"type": "button",
		"body": {"text": body},
		"action": {
			"buttons": [
				{
					"type": "reply",
					"reply": {
						"id": _check(choice_id, BUTTON_ID_LIMIT, "button id"),
						"title": _check(title, BUTTON_TITLE_LIMIT, "button title"),
					},
				}
				for choice_id, title in choices
			]
		},
	}
	_header_footer(interactive, header, footer)
	return {"type": "interactive", "interactive": interactive}


def choice_list(
	body: str,
	button: str,
	sections: list[tuple[str, list[tuple[str, str, str | None]]]],
	header: str | None = None,
	footer: str | None = None,
) -> dict:
	"""List message: sections of (title, [(row id, row title, description)])."""
	rows = sum(len(section_rows) for _, section_rows in sections)
	if not sections or len(sections) > LIST_SECTIONS_LIMIT or not 1 <= rows <= LIST_ROWS_LIMIT:
		raise MessageTooLarge(
			f"a list takes 1 to {LIST_SECTIONS_LIMIT} sections and 1 to {LIST_ROWS_LIMIT} rows"
		)
	_check(body, LIST_BODY_LIMIT, "list body")
	interactive = {
		"type": "list",
		"body": {"text": body},
		"action": {
			"button": _check(button, BUTTON_TITLE_LIMIT, "list button"),
			"sections": [
				{
					"title": _check(title, ROW_TITLE_LIMIT, "section title"),
					"rows": [
						_row(row_id, row_title, description)
						for row_id, row_title, description in section_rows
					],
				}
				for title, section_rows in sections
			],
		},
	}
	_header_footer(interactive, header, footer)
	return {"type": "interactive", "interactive": interactive}


def _row(row_id: str, title: str, description: str | None) -> dict:
	row = {"id": _check(row_id, ROW_ID_LIMIT, "row id"), "title": _check(title, ROW_TITLE_LIMIT, "row title")}
	if description:
		row["description"] = _check(description, ROW_DESCRIPTION_LIMIT, "row description")
	return row


def document(media_id: str, filename: str, caption: str | None = None) -> dict:
	doc = {"id": media_id, "filename": filename}
	if caption:
		doc["caption"] = _check(caption, CAPTION_LIMIT, "caption")
	return {"type": "document", "document": doc}


def image(media_id: str, caption: str | None = None) -> dict:
	"""An uploaded picture (PNG or JPEG, at most 5 MB at Meta) with an optional caption."""
	picture = {"id": media_id}
	if caption:
		picture["caption"] = _check(caption, CAPTION_LIMIT, "caption")
	return {"type": "image", "image": picture}


def media(mime_type: str | None) -> str:
	"""How a file goes out: pictures Meta shows inline as `image`, anything else as `document`."""
	return "image" if (mime_type or "").split(";")[0].strip().lower() in IMAGE_TYPES else "document"


def template(name: str, language: str, components: list | None = None) -> dict:
	body = {"name": name, "language": {"code": language}}
	if components:
		body["components"] = components
	return {"type": "template", "template": body}


def mark_read(wamid: str, typing: bool = True) -> dict:
	"""Mark a received message read; with `typing`, show the typing indicator (up to 25 s)."""
	body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
	if typing:
		body["typing_indicator"] = {"type": "text"}
	return body


def summary(body: dict) -> str:
	"""Readable text of an outgoing body, for the Chatbot Message `text` field."""
	kind = body.get("type")
	content = body.get(kind) or {}
	if kind == "text":
		return content.get("body", "")
	if kind == "interactive":
		text_ = (content.get("body") or {}).get("text", "")
		action = content.get("action") or {}
		options = [b["reply"]["title"] for b in action.get("buttons", [])]
		options += [row["title"] for section in action.get("sections", []) for row in section["rows"]]
		return text_ + ("\n" + " | ".join(f"[{o}]" for o in options) if options else "")
	if kind == "document":
		return " ".join(filter(None, [content.get("filename"), content.get("caption")]))
	if kind == "image":
		return " ".join(filter(None, ["[image]", content.get("caption")]))
	if kind == "template":
		return f"template {content.get('name')} ({(content.get('language') or {}).get('code')})"
	return kind or ""


def _check(value: str, limit: int, what: str) -> str:
	if not value:
		raise ValueError(f"{what} is empty")
	if len(value) > limit:
		raise MessageTooLarge(f"{what} is {len(value)} characters, the limit is {limit}")
	return value


def _header_footer(interactive: dict, header: str | None, footer: str | None) -> None:
	if header:
		interactive["header"] = {"type": "text", "text": _check(header, HEADER_FOOTER_LIMIT, "header")}
	if footer:
		interactive["footer"] = {"text": _check(footer, HEADER_FOOTER_LIMIT, "footer")}
