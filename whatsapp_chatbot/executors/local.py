"""Run a command here, through the Frappe ORM, as the contact's User, and record it.

Every run is a Chatbot Command row (what, with which arguments, as whom, how long, what came of it).
Frappe's refusals become plain answers: a PermissionError is a polite "you may not", never the data
and never a stack trace. A failing command is rolled back to a savepoint, so a half-done write
never stays behind.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import now_datetime, strip_html

from whatsapp_chatbot import rows
from whatsapp_chatbot.realtime.progress import Cancelled
from whatsapp_chatbot.session_user import as_user
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import Command, Result, without_site

COMMAND = "Chatbot Command"


@dataclass
class Outcome:
	result: Result | None = None
	error: str | None = None
	refused: bool = False
	worded: bool = False  # `error` is already the sentence for the user, in their language

	@property
	def ok(self) -> bool:
		return self.error is None

	def for_model(self) -> str:
		if self.ok:
			return self.result.for_model()
		return json.dumps({"error": self.error, "permission_denied": self.refused}, ensure_ascii=False)


def execute(command: Command, arguments: dict, user: str, call=None) -> Outcome:
	"""Run `call` (default: the command's handler) with `arguments` as `user`."""
	call = call or command.handler
	arguments = without_site(arguments)  # `site` said where to run: here
	frappe.db.savepoint("whatsapp_chatbot_command")
	try:
		with as_user(user):
			value = call(**arguments)
		return Outcome(result=value if isinstance(value, Result) else Result(str(value)))
	except frappe.PermissionError as e:
		_undo()
		return Outcome(error=f"Not permitted: {_message(e) or command.name}", refused=True)
	except frappe.DoesNotExistError as e:
		_undo()
		return Outcome(error=_message(e) or _("Not found"))
	except (CommandError, frappe.ValidationError) as e:
		_undo()
		return Outcome(error=_message(e) or type(e).__name__)
	except Cancelled:
		raise  # the long-command job turns it into a Cancelled command
	except Exception:
		_undo()
		# without local variables: a command's frames may hold anything it read
		frappe.log_error(
			title=f"WhatsApp command {command.name} failed", message=frappe.get_traceback(with_context=False)
		)
		return Outcome(error=failed_unexpectedly(command.name))
	finally:
		frappe.local.message_log = []


def failed_unexpectedly(command: str) -> str:
	return _("{command} failed unexpectedly; the team can see the error log.").format(command=command)


def _undo() -> None:
	try:
		frappe.db.rollback(save_point="whatsapp_chatbot_command")
	except Exception:
		# something inside the command committed (and so released the savepoint): nothing to undo
		pass


def _message(error: Exception) -> str:
	"""What frappe.throw said (it leaves the text in message_log, not always in the exception)."""
	text = str(error)
	if not text:
		logged = [m if isinstance(m, dict) else _json_or_empty(m) for m in frappe.local.message_log or []]
		text = " ".join(str(m.get("message", "")) for m in logged)
	return strip_html(text).strip()


def _json_or_empty(value) -> dict:
	try:
		parsed = json.loads(value)
	except (TypeError, ValueError):
		return {"message": str(value)}
	return parsed if isinstance(parsed, dict) else {"message": str(parsed)}


def record(turn, command: Command, arguments: dict, status: str, **values):
	"""A Chatbot Command row for this turn."""
	doc = frappe.get_doc(
		{
			"doctype": COMMAND,
			"command": command.name,
			"kind": command.kind,
			"status": status,
			"arguments": json.dumps(arguments, ensure_ascii=False, default=str),
			"run_as": turn.contact.user,
			"contact": turn.contact.name,
			"conversation": turn.conversation.name,
			"message": turn.message.name if turn.message else None,  # none: a subscription's run
			**values,
		}
	)
	doc.flags.ignore_links = True  # the turn's own contact, conversation, message and user: just read
	return rows.as_saved(doc.insert(ignore_permissions=True))  # finished with db_set in this transaction


def run_recorded(turn, command: Command, arguments: dict, doc=None) -> tuple[object, Outcome]:
	"""Execute and keep the record: Running → Succeeded / Failed, with timings."""
	started = time.monotonic()
	if doc is None:
		doc = record(turn, command, arguments, "Running", started_at=now_datetime())
	else:
		doc.db_set({"status": "Running", "started_at": now_datetime()})
	outcome = execute(command, arguments, doc.run_as)
	finish(doc, outcome, started)
	if outcome.ok and outcome.result.attachment:
		keep_file(doc, outcome.result.attachment)
	return doc, outcome


def finish(doc, outcome: Outcome, started: float, **values) -> str:
	"""Record how a command ended (status, end, duration, result or error); the status."""
	status = "Succeeded" if outcome.ok else "Failed"
	doc.db_set(
		{
			"status": status,
			"finished_at": now_datetime(),
			"duration": time.monotonic() - started,
			"result": outcome.result.text[:10000] if outcome.ok else None,
			"error": outcome.error,
			**values,
		}
	)
	return status


def keep_file(doc, attachment: tuple[str, bytes, str]) -> str:
	"""The file a command produced (a chart, a PDF, an export), kept as a private File on its
	Chatbot Command: the Desk shows what was sent, whatever happens to the message."""
	filename, content, _mime_type = attachment
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": filename,
			"content": content,
			"is_private": 1,
			"attached_to_doctype": COMMAND,
			"attached_to_name": doc.name,
		}
	).insert(ignore_permissions=True)
	if file.file_name != filename:  # Frappe renames a clash on disk; whoever downloads it gets the real name
		file.db_set("file_name", filename)
	doc.db_set("attachment", file.file_url)
	return file.file_url
