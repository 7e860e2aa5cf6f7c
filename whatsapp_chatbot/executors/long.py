"""Long commands: started at once, run on RQ's `long` queue, followed, stoppable, delivered as files.

`start` records the Chatbot Command as Queued, enqueues it (job id = the command's name, after
commit, deduplicated) and returns the "working on it" reply. The job (jobs/run_long_command.py)
runs it as the user with progress and a heartbeat; `deliver` sends the result: text when it fits,
else the file (XLSX for tables, PDF for printable output) attached to the command and sent as a
WhatsApp document with a one-line summary. If the 24-hour window closed meanwhile (a job finishing at
night), the outbox holds the result and tells the contact messages are waiting (channel/held.py); it
goes out when they write. The file stays attached to the command either way.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.channel import outbox, outgoing
from whatsapp_chatbot.executors import local
from whatsapp_chatbot.realtime import progress
from whatsapp_chatbot.tools.registry import LONG

COMMAND = "Chatbot Command"
JOB = "whatsapp_chatbot.jobs.run_long_command.run_long_command"
TEXT_FITS = 1500  # longer results go as a file: a phone screen is not a report viewer
ACTIVE = ("Queued", "Running")


def runs_long(command, arguments: dict, user: str, settings, executor=local) -> bool:
	"""Declared long, and (if it can estimate its size) estimated above the threshold, on the site
	the command runs on (`executor`)."""
	if command.kind != LONG:
		return False
	estimate = command.extra.get("estimate")
	if estimate is None:
		return True
	outcome = executor.execute(command, arguments, user, call=estimate)
	# an estimate that fails (bad filter, no permission) is left to the real run to report
	return not outcome.ok or float(outcome.result.data or 0) > int(settings.long_row_threshold or 500)


def start(turn, command, arguments: dict, doc=None) -> list[dict]:
	if doc is None:
		doc = local.record(turn, command, arguments, "Queued")
	else:
		doc.db_set({"status": "Queued"})
	doc.db_set("job_id", doc.name)
	enqueue(doc.name, int(turn.settings.long_job_timeout or 1500))
	progress.publish(doc, 0, status="Queued")
	return [outgoing.text(texts.text("working", turn.language, ref=doc.name))]


def enqueue(name: str, timeout: int, attempt: str = "") -> None:
	frappe.enqueue(
		JOB,
		queue="long",
		timeout=timeout,
		command=name,
		job_id=name + attempt,
		deduplicate=True,
		enqueue_after_commit=True,
	)


def deliver(doc, outcome, contact, language: str) -> None:
	key = f"{doc.name}:result"
	if not outcome.ok:
		reason = texts.text("not_permitted", language) if outcome.refused else outcome.error
		outbox.queue_text(
			contact,
			texts.text("long_failed", language, ref=doc.name, reason=reason),
			doc.conversation,
			answers=doc.message,
			key=key,
		)
		return
	result = outcome.result
	attachment = result.attachment or _table_file(doc, result)
	if attachment is None and len(result.text) <= TEXT_FITS:
		outbox.queue_text(contact, result.text, doc.conversation, answers=doc.message, key=key)
		return
	filename, content, mime_type = attachment
	local.keep_file(doc, attachment)
	summary = result.text.splitlines()[0][:200] if result.text else filename
	outbox.queue_document(
		contact,
		filename,
		content,
		mime_type,
		f"{summary} ({doc.name})",
		doc.conversation,
		answers=doc.message,
		key=key,
	)


def _table_file(doc, result):
	"""A long text answer with rows becomes a spreadsheet."""
	rows = (result.data or {}).get("rows") if isinstance(result.data, dict) else None
	if len(result.text) <= TEXT_FITS or not rows:
		return None
	from whatsapp_chatbot.tools.spreadsheet import XLSX_MIME, xlsx

	columns = list(rows[0].keys())
	return (
		f"{doc.name}.xlsx",
		xlsx(doc.command, columns, [[r.get(c) for c in columns] for r in rows]),
		XLSX_MIME,
	)


def delivery_problem(doc) -> str | None:
	"""Why the result did not go out, if it did not (recorded on the command)."""
	row = frappe.db.get_value(
		"Chatbot Message", {"outbox_key": f"{doc.name}:result"}, ["status", "error_message"], as_dict=True
	)
	if row and row.status == "Failed":
		return f"not delivered: {row.error_message}"
	if row and row.status == "Held":
		return f"not delivered yet: {row.error_message}"
	return None


def cancel_latest(turn) -> list[dict] | None:
	"""Stop the contact's newest queued or running long command; None if there is none."""
	active = frappe.get_all(
		COMMAND,
		filters={"contact": turn.contact.name, "kind": LONG, "status": ("in", ACTIVE)},
		fields=["name", "status"],
		order_by="creation desc",
		limit=1,
	)
	if not active:
		return None
	doc = frappe.get_doc(COMMAND, active[0].name, for_update=True)
	key = "long_cancelled" if request_cancel(doc) else "cancel_requested"
	return [outgoing.text(texts.text(key, turn.language, ref=doc.name))]


def request_cancel(doc) -> bool:
	"""Stop a queued or running command (`doc` locked by the caller). True: it was still queued and
	is Cancelled now (its job will find it so and do nothing); False: it is running and stops at its
	next progress check (the job then tells the contact)."""
	if doc.status == "Queued":
		doc.db_set({"status": "Cancelled", "cancel_requested": 1, "finished_at": now_datetime()})
		progress.publish(doc, doc.progress or 0, status="Cancelled")
		return True
	doc.db_set("cancel_requested", 1)
	return False


def status(turn) -> list[dict]:
	rows = frappe.get_all(
		COMMAND,
		filters={"contact": turn.contact.name, "status": ("in", ACTIVE)},
		fields=["name", "command", "status", "progress"],
		order_by="creation asc",
	)
	if not rows:
		return [outgoing.text(texts.text("status_none", turn.language))]
	lines = [
		texts.text(
			"status_line",
			turn.language,
			ref=r.name,
			command=r.command,
			status=_("Queued") if r.status == "Queued" else _("Running"),
			percent=i18n.number(r.progress or 0),
		)
		for r in rows
	]
	return [outgoing.text("\n".join(lines))]
