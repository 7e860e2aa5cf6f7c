"""Photos and documents a contact sends: downloaded from Meta, checked, stored.

Media id → URL → bytes with the token (channel/graph, as voice notes are), only from Meta's media
hosts or the configured Graph API (anything else is refused before a request is made). Then, before anything is
kept: the size cap from Settings (checked against what Meta announces, then against what arrived),
Meta's sha256 (when given), and the type judged by the content (media/sniff), never by the name or
MIME type the sender's phone gave. Photos lose their metadata (GPS included); PDFs must open, and
their text layer is kept as the message's transcript. What passes is a private File attached to
its Chatbot Message; what fails is refused politely and never written to the site's files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import frappe
from frappe.core.api.file import get_max_file_size
from frappe.core.doctype.file.exceptions import MaxFileSizeReachedError

from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.graph import MediaTooLarge, MediaURLRefused
from whatsapp_chatbot.channel.settings import graph_client
from whatsapp_chatbot.files import file_bytes
from whatsapp_chatbot.interpreter.loop import TurnFailed
from whatsapp_chatbot.media import images, pdf, sniff
from whatsapp_chatbot.media.digest import sha256_matches

MESSAGE = "Chatbot Message"
DEFAULT_MAX_MB = 16
PDF_TEXT_CHARS = 20000  # about 5,000 tokens: a long quotation, not a catalogue


@dataclass
class Refusal:
	text_key: str  # a key of texts.py
	values: dict
	reason: str  # for the Desk (the message's error field)


@dataclass
class Stored:
	file: str  # File name
	file_url: str
	kind: sniff.Kind
	content: bytes
	filename: str


def max_bytes(settings) -> int:
	return int(settings.get("max_media_mb") or DEFAULT_MAX_MB) * 1024 * 1024


def receive(message, settings) -> Stored | Refusal:
	"""Store the message's media (once: a message run again reuses its File)."""
	if message.media_file:
		existing = stored_for(message)
		if existing:
			return existing
	limit = max_bytes(settings)
	try:
		media = graph_client(settings).download_media(message.media_id, max_bytes=limit)
	except MediaTooLarge as error:
		return _too_big(error.size, limit)
	except MediaURLRefused as error:  # never retried: the same lookup would answer the same host
		return Refusal("media_not_downloaded", {}, str(error))
	except GraphError as error:
		raise TurnFailed("assistant_unavailable", f"media download: {error.describe()}")
	content = media.content
	if len(content) > limit:
		return _too_big(len(content), limit)
	for claimed in (message.media_sha256, media.sha256):
		if claimed and not sha256_matches(content, claimed):
			return Refusal("media_damaged", {}, f"sha256 mismatch: Meta said {claimed}")
	kind = sniff.sniff(content)
	claimed = f"claimed {message.media_mime_type or media.mime_type or '?'}"
	if not kind.accepted:
		key = {
			sniff.EXECUTABLE: "media_refused_executable",
			sniff.ARCHIVE: "media_refused_archive",
			sniff.OFFICE: "media_refused_office",
		}.get(kind.category, "media_refused_unknown")
		return Refusal(key, {"label": kind.label}, f"refused {kind.label} ({claimed})")
	transcript = None
	try:
		if kind.category == sniff.IMAGE:
			content = images.strip_metadata(content, kind.mime_type)
		else:
			transcript = pdf.read(content, max_chars=PDF_TEXT_CHARS, render_pages=0).text
	except pdf.PdfError as error:
		key = "media_pdf_locked" if error.encrypted else "media_unreadable"
		return Refusal(key, {}, f"unreadable PDF ({claimed}): {error}"[:500])
	except images.ImageError as error:
		return Refusal("media_unreadable", {}, f"unreadable image ({claimed}): {error}"[:500])
	filename = file_name(message, kind)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": filename,
			"content": content,
			"is_private": 1,
			"attached_to_doctype": MESSAGE,
			"attached_to_name": message.name,
			"attached_to_field": "media_file",
		}
	)
	# the app keeps its own log's attachment: the contact's user may not write Chatbot Messages
	file.flags.ignore_permissions = True
	try:
		file.insert()
	except MaxFileSizeReachedError:  # the site's own limit (System Settings) is below ours
		return _too_big(len(content), get_max_file_size())
	values = {"media_file": file.file_url}
	if transcript:
		values["transcript"] = transcript
	message.db_set(values)
	return Stored(file.name, file.file_url, kind, content, filename)


def stored_for(message) -> Stored | None:
	"""The File a message's media was stored as, with its content."""
	name = frappe.db.get_value(
		"File",
		{"attached_to_doctype": MESSAGE, "attached_to_name": message.name, "file_url": message.media_file},
		"name",
	)
	if not name:
		return None
	file = frappe.get_doc("File", name)
	content = file_bytes(file)
	return Stored(file.name, file.file_url, sniff.sniff(content), content, file.file_name)


def file_name(message, kind: sniff.Kind) -> str:
	"""The sender's name for a document (made safe, extension from the content); photos get one."""
	stem = ""
	if message.media_filename:
		stem = re.sub(r"[^\w.-]+", "-", message.media_filename.rsplit(".", 1)[0]).strip("-._")[:80]
	stem = stem or ("photo" if kind.category == sniff.IMAGE else "document")
	return f"{stem}-{message.name}.{kind.extension}"


def _too_big(size: int, limit: int) -> Refusal:
	megabytes = lambda n: f"{n / 1048576:.1f}".rstrip("0").rstrip(".")  # noqa: E731
	return Refusal(
		"media_too_big",
		{"size": megabytes(size), "limit": megabytes(limit)},
		f"media of {size} bytes over the {limit}-byte cap",
	)
