"""The photo or PDF a turn is about, for the model and for the commands that use it.

It is the media of the message itself, or else the latest one the contact sent in this conversation
within `media_window_minutes` ("¿cuánto suma?" a minute after the photo). Commands never take a file
from the model: the app binds the Chatbot Message holding the media into their arguments, and the
handlers accept only a message of the user they run as.
"""

from __future__ import annotations

from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import add_to_date, get_datetime, now_datetime

from whatsapp_chatbot.files import file_bytes
from whatsapp_chatbot.interpreter import media_input
from whatsapp_chatbot.media import images, pdf, sniff, tokens

MESSAGE = "Chatbot Message"
DEFAULT_WINDOW_MINUTES = 30
FOLLOWING_MESSAGES = 3  # the media stays in the turn for this many messages after it
MEDIA_ARGUMENT = "media"  # the argument the app fills in for commands that use the turn's media


@dataclass
class TurnMedia:
	message: str  # Chatbot Message name
	file: str  # File name
	filename: str
	is_pdf: bool
	minutes_ago: int
	sent_with_this_message: bool


def latest(turn) -> TurnMedia | None:
	"""The turn's media: its own, or the latest the contact sent within the window."""
	if turn.message.get("media_file"):
		row = turn.message
	else:
		window = int(turn.settings.get("media_window_minutes") or DEFAULT_WINDOW_MINUTES)
		rows = frappe.get_all(
			MESSAGE,
			filters={
				"conversation": turn.conversation.name,
				"direction": "Incoming",
				"media_file": ("is", "set"),
				"creation": (">=", add_to_date(now_datetime(), minutes=-window)),
				"name": ("!=", turn.message.name),
			},
			fields=["name", "media_file", "creation"],
			order_by="creation desc",
			limit=1,
		)
		if not rows:
			return None
		row = rows[0]
		later = frappe.db.count(
			MESSAGE,
			{
				"conversation": turn.conversation.name,
				"direction": "Incoming",
				"creation": (">", row.creation),
				"name": ("!=", turn.message.name),
			},
		)
		if later >= FOLLOWING_MESSAGES:
			return None  # the talk has moved on: no more paying for the picture on every call
	file = frappe.db.get_value(
		"File",
		{"attached_to_doctype": MESSAGE, "attached_to_name": row.name, "file_url": row.media_file},
		["name", "file_name", "file_url"],
		as_dict=True,
	)
	if not file:
		return None
	age = (now_datetime() - get_datetime(row.creation)).total_seconds()
	return TurnMedia(
		message=row.name,
		file=file.name,
		filename=file.file_name,
		is_pdf=(file.file_name or "").lower().endswith(".pdf"),
		minutes_ago=max(0, int(age // 60)),
		sent_with_this_message=row.name == turn.message.name,
	)


def for_model(media: TurnMedia, settings, model: str) -> media_input.MediaForModel:
	"""What the model is shown of the media (the stored, metadata-free bytes)."""
	content = file_bytes(frappe.get_doc("File", media.file))
	kind = sniff.sniff(content)
	detail = image_detail(settings)
	base = {
		"filename": media.filename,
		"sent_with_this_message": media.sent_with_this_message,
		"minutes_ago": media.minutes_ago,
	}
	if kind.category == sniff.IMAGE:
		width, height = images.size(content)
		picture = images.for_model(content, kind.mime_type, tokens.seen_size(width, height, detail, model))
		return media_input.MediaForModel(form=media_input.PHOTO, pictures=[picture], **base)
	pages = int(settings.get("scan_pages") or 3)
	read = pdf.read(content, render_pages=pages)
	if not read.is_scan:
		return media_input.MediaForModel(
			form=media_input.PDF_TEXT,
			text=read.text,
			page_count=read.page_count,
			truncated=read.truncated or read.pages_read < read.page_count,
			**base,
		)
	pictures = []
	for page in read.images:
		width, height = images.size(page)
		pictures.append(images.for_model(page, "image/jpeg", tokens.seen_size(width, height, detail, model)))
	return media_input.MediaForModel(
		form=media_input.PDF_SCAN, pictures=pictures, page_count=read.page_count, **base
	)


def image_detail(settings) -> str:
	detail = settings.get("image_detail") or "auto"
	return detail if detail in tokens.DETAILS else "auto"


def vision_model(settings) -> str:
	return settings.get("vision_model") or settings.get("openai_model") or "gpt-4.1-mini"


def media_file(reference: str):
	"""The File of a Chatbot Message's media, for a handler running as the session user: only
	that user's own messages count (a forged reference to someone else's file finds nothing)."""
	from whatsapp_chatbot.tools.errors import CommandError

	row = frappe.db.get_value(MESSAGE, reference or "", ["name", "user", "media_file"], as_dict=True)
	if not row or not row.media_file or row.user != frappe.session.user:
		raise CommandError(_("There is no photo or PDF to use: please send it again."))
	name = frappe.db.get_value(
		"File",
		{"attached_to_doctype": MESSAGE, "attached_to_name": row.name, "file_url": row.media_file},
		"name",
	)
	if not name:
		raise CommandError(_("The photo or PDF is no longer stored: please send it again."))
	return frappe.get_doc("File", name)


def turn_input(turn) -> tuple[str | list[dict], str]:
	"""The user message's content for the model (parts when the turn has media) and the model to
	ask (the vision model when it has)."""
	settings = turn.settings
	media = latest(turn)
	if media is None:
		return turn.message.text or "", settings.get("openai_model") or "gpt-4.1-mini"
	model = vision_model(settings)
	content = media_input.user_content(
		turn.message.text or "", for_model(media, settings, model), image_detail(settings)
	)
	return content, model


def bind(turn, command, arguments: dict) -> tuple[dict, str | None]:
	"""A media command's arguments with the turn's media filled in (whatever the model put there),
	or the reason it cannot run, for the model."""
	if not getattr(command, "uses_media", False):
		return arguments, None
	media = latest(turn)
	if media is None:
		return arguments, _("No photo or PDF was sent recently: please send it first.")
	return {**arguments, MEDIA_ARGUMENT: media.message}, None
