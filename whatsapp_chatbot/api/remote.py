"""Endpoints another site's bot calls on this one, with a user's API key (`token key:secret`).

The calling site's contact acts here as this site's user whose key it holds: every command is
found, allowed and validated for that user exactly as for a WhatsApp contact of this site, and runs
as that user. Writes are never run on the model's word: the calling site asks its person to
Confirm before it calls, and says so with `confirmed=1`; without it a write is refused.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import cint

from whatsapp_chatbot import permissions
from whatsapp_chatbot.executors import started


@frappe.whitelist()
def hello() -> dict:
	"""Who is calling and where: this site's name (the Socket.IO namespace), the caller's user, and
	the realtime port. A site without this app answers this with an error: that is how the calling
	site knows to run the REST calls itself."""
	return {
		"site": frappe.local.site,
		"user": frappe.session.user,
		"may_chat": permissions.user_may_chat(frappe.session.user),
		"socketio_port": frappe.conf.socketio_port,
	}


@frappe.whitelist(methods=["POST"])
def start_command(command: str, arguments: str | dict | None = None, confirmed: int | bool = 0) -> str:
	"""Queue `command` with `arguments` as the session user; returns the Chatbot Command's name.
	Follow it on this site's Socket.IO (event whatsapp_chatbot_progress in the user's room) or
	with `command_status`."""
	user = frappe.session.user
	if not permissions.user_may_chat(user):
		frappe.throw(_("You need the role {0} here").format(permissions.CHAT_ROLE), frappe.PermissionError)
	if isinstance(arguments, str):
		try:
			arguments = json.loads(arguments or "{}")
		except ValueError:
			frappe.throw(_("arguments must be a JSON object"))
	return started.start(user, command, arguments or {}, confirmed=bool(cint(confirmed)))


@frappe.whitelist()
def command_status(name: str) -> dict:
	"""Where a command started by the caller stands (and its result once it has one)."""
	return started.status(started.own(name))


@frappe.whitelist()
def command_file(name: str) -> None:
	"""The file a command started by the caller produced, as a download."""
	filename, content = started.file_of(started.own(name))
	frappe.response.filename = filename
	frappe.response.filecontent = content
	frappe.response.type = "download"
	frappe.response.display_content_as = "attachment"


@frappe.whitelist(methods=["POST"])
def cancel_command(name: str) -> str:
	"""Ask a command started by the caller to stop (cooperatively, as a WhatsApp /cancel does)."""
	return started.cancel(started.own(name))
