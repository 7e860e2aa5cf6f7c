"""Commands that work on the photo or PDF the user sent, and "attach this to SO-00012".

The file is never named by the model: a media command's arguments carry `media`, the Chatbot
Message holding it, filled in by the app from the turn (media/current.bind) and kept with the
recorded command, so the Confirm a minute later attaches exactly the file the preview showed. The
handlers accept only a message of the user they run as.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt

from whatsapp_chatbot import i18n
from whatsapp_chatbot.files import file_bytes
from whatsapp_chatbot.media.current import MEDIA_ARGUMENT, media_file
from whatsapp_chatbot.tools import metadata
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import REGISTRY, WRITE, Command, Result
from whatsapp_chatbot.tools.schema import Param


class MediaCommand(Command):
	"""A command whose handler also receives `media` (set by the app, invisible to the model)."""

	uses_media = True

	def check(self, arguments):
		if not isinstance(arguments, dict):
			return super().check(arguments)
		reference = arguments.get(MEDIA_ARGUMENT)
		checked, errors = super().check({k: v for k, v in arguments.items() if k != MEDIA_ARGUMENT})
		if reference is not None:
			if not isinstance(reference, str):
				errors.append(f"{MEDIA_ARGUMENT} must be a message reference")
			checked[MEDIA_ARGUMENT] = reference
		return checked, errors


def media_command(name: str, description: str, params: dict[str, Param], **options):
	"""Register a built-in media command (as registry.command does for the others)."""

	def register(handler):
		if name in REGISTRY:
			raise ValueError(f"command {name} registered twice")
		REGISTRY[name] = MediaCommand(
			name=name, description=description, params=params, handler=handler, **options
		)
		return handler

	return register


def attach_file(source, doc) -> object:
	"""A private copy of `source` (a File) attached to `doc`, for a user allowed to write `doc`.
	Frappe keeps one file on disk for identical content; this adds the attachment row."""
	if not doc.has_permission("write"):
		raise frappe.PermissionError(f"You may not change {doc.doctype} {doc.name}")
	stem = source.file_name.rsplit(".", 1)[0]
	# by name: Frappe may re-encode a JPEG on save (System Settings), so the content hash can differ
	if frappe.db.exists(
		"File",
		{
			"attached_to_doctype": doc.doctype,
			"attached_to_name": doc.name,
			"file_name": ("like", f"{stem}%"),
		},
	):
		raise CommandError(
			_("{file} is already attached to {doctype} {name}.").format(
				file=source.file_name, doctype=_(doc.doctype), name=doc.name
			)
		)
	copy = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": source.file_name,
			"content": file_bytes(source),
			"is_private": 1,
			"attached_to_doctype": doc.doctype,
			"attached_to_name": doc.name,
		}
	)
	# checked above as the user: write permission on the document is what attaching needs
	copy.flags.ignore_permissions = True
	return copy.insert()


def describe_file(source) -> str:
	size = flt(source.file_size or 0) / 1024
	shown = f"{i18n.number(round(size / 1024, 1))} MB" if size >= 1024 else f"{max(1, round(size))} KB"
	return f"*{source.file_name}* ({shown})"


def _writable(doctype: str, name: str):
	doc = metadata.readable_document(doctype, name)
	if not frappe.has_permission(doc.doctype, "write", doc):
		raise frappe.PermissionError(f"You may not change {doc.doctype} {doc.name}")
	return doc


def _preview_attach(doctype, name, media=None) -> str:
	doc = _writable(doctype, name)
	return _("Attach {file} to {doctype} *{name}*?").format(
		file=describe_file(media_file(media)), doctype=_(doc.doctype), name=doc.name
	)


@media_command(
	"attach_media_to_document",
	"Attach the user's last photo/PDF to a document.",
	{"doctype": Param("string", ""), "name": Param("string", "")},
	kind=WRITE,
	preview=_preview_attach,
)
def attach_media_to_document(doctype, name, media=None) -> Result:
	doc = _writable(doctype, name)
	source = media_file(media)
	attach_file(source, doc)
	return Result(
		_("Attached {file} to {doctype} *{name}*.").format(
			file=describe_file(source), doctype=_(doc.doctype), name=doc.name
		),
		data={"doctype": doc.doctype, "name": doc.name, "file": source.file_name},
	)
