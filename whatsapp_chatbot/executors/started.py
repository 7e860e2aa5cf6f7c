"""Commands another site started here (api/remote.py): run as the calling user, followed from afar.

They are recorded like any Chatbot Command (run_as: the calling user; no contact: nobody is
messaged from this site), queued on RQ `long` and run by jobs/run_started_command.py with progress
published to the Desk and to the user's realtime room, where the calling site listens over
Socket.IO (or polls `status`). The result stays on the command: its text, its error, and its file
attached privately, for the calling site to fetch with the same user's key.
"""

from __future__ import annotations

import json
import time

import frappe
from frappe import _
from frappe.translate import get_user_lang
from frappe.utils import now_datetime

from whatsapp_chatbot import i18n, permissions, session_user
from whatsapp_chatbot.executors import local
from whatsapp_chatbot.files import file_bytes
from whatsapp_chatbot.realtime import progress
from whatsapp_chatbot.tools import catalogue

COMMAND = "Chatbot Command"
JOB = "whatsapp_chatbot.jobs.run_started_command.run_started_command"
FINAL = ("Succeeded", "Failed", "Cancelled", "Expired")


def start(user: str, name: str, arguments: dict, confirmed: bool) -> str:
	command = catalogue.find(name, user)
	if command is None:
		frappe.throw(_("No command {0} for you here").format(name), frappe.PermissionError)
	arguments, errors = command.check(arguments)
	if errors:
		frappe.throw("; ".join(errors))
	if command.needs_confirmation and not confirmed:
		frappe.throw(_("{0} changes data: the person must confirm it first").format(name))
	doc = frappe.get_doc(
		{
			"doctype": COMMAND,
			"command": command.name,
			"kind": command.kind,
			"status": "Queued",
			"arguments": json.dumps(arguments, ensure_ascii=False, default=str),
			"run_as": user,
		}
	).insert(ignore_permissions=True)
	doc.db_set("job_id", doc.name)
	frappe.enqueue(
		JOB,
		queue="long",
		timeout=1500,
		command=doc.name,
		job_id=doc.name,
		deduplicate=True,
		enqueue_after_commit=True,
	)
	return doc.name


def own(name: str):
	"""The command, if the session user started it (managers may look at any)."""
	doc = frappe.get_doc(COMMAND, name)
	if doc.run_as != frappe.session.user or doc.contact:
		permissions.require_manager()
	return doc


def status(doc) -> dict:
	return {
		"name": doc.name,
		"command": doc.command,
		"status": doc.status,
		"progress": doc.progress or 0,
		"note": doc.progress_note or "",
		"result": doc.result,
		"error": doc.error,
		"file_name": _file(doc).file_name if doc.attachment else None,
	}


def file_of(doc) -> tuple[str, bytes]:
	if not doc.attachment:
		frappe.throw(_("{0} has no file").format(doc.name), frappe.DoesNotExistError)
	file = _file(doc)
	return file.file_name, file_bytes(file)


def _file(doc):
	return frappe.get_doc("File", {"file_url": doc.attachment, "attached_to_name": doc.name})


def cancel(doc) -> str:
	if doc.status == "Queued":
		doc.db_set({"status": "Cancelled", "cancel_requested": 1, "finished_at": now_datetime()})
		progress.publish(doc, doc.progress or 0, status="Cancelled")
	elif doc.status == "Running":
		doc.db_set("cancel_requested", 1)
	return doc.status


class DeskProgress(progress.Progress):
	"""Progress for the Desk and the realtime room only: the calling site relays it to WhatsApp."""

	def __init__(self, command):
		self.command = command

	def _report(self, percent: float, note: str) -> None:
		# committed on the side connection (Progress.__call__), as for a command run from WhatsApp
		self.command.db_set({"progress": percent, "progress_note": (note or "")[:140]}, update_modified=False)
		progress.publish(self.command, percent, note)


def run(name: str) -> None:
	session_user.switch_user("Administrator")
	doc = frappe.get_doc(COMMAND, name, for_update=True)
	if doc.status != "Queued":
		return
	started = time.monotonic()
	doc.db_set({"status": "Running", "started_at": now_datetime(), "progress": 0})
	progress.publish(doc, 0, status="Running")
	frappe.db.commit()
	command = catalogue.find(doc.command, doc.run_as)
	if command is None:
		outcome = local.Outcome(error="command no longer allowed for this user", refused=True)
	else:
		arguments, errors = command.check(json.loads(doc.arguments or "{}"))
		try:
			# in the language of the user whose key the calling site holds (its contact reads it)
			with progress.tracking(DeskProgress(doc)), i18n.speaking(get_user_lang(doc.run_as)):
				outcome = (
					local.Outcome(error="; ".join(errors))
					if errors
					else local.execute(command, arguments, doc.run_as)
				)
		except progress.Cancelled:
			frappe.db.rollback()
			doc.reload()
			doc.db_set({"status": "Cancelled", "finished_at": now_datetime()})
			progress.publish(doc, doc.progress or 0, status="Cancelled")
			return
	if outcome.ok and outcome.result.attachment:
		local.keep_file(doc, outcome.result.attachment)
	status = local.finish(doc, outcome, started, progress=100 if outcome.ok else doc.progress)
	progress.publish(doc, doc.progress, status=status)
	frappe.db.commit()
