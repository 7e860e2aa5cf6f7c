"""RQ entry point (queue `long`): run one long Chatbot Command as its user, with progress, a
heartbeat and cooperative cancellation, then deliver the result (executors/long.py)."""

from __future__ import annotations

import json
import time

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot import i18n, session_user, texts
from whatsapp_chatbot.channel import contacts, outbox
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.executors import local, remote_long
from whatsapp_chatbot.executors import long as long_commands
from whatsapp_chatbot.realtime import progress
from whatsapp_chatbot.tools import catalogue
from whatsapp_chatbot.tools.registry import without_site

COMMAND = "Chatbot Command"


def run_long_command(command: str) -> None:
	session_user.switch_user("Administrator")
	doc = frappe.get_doc(COMMAND, command, for_update=True)
	if doc.status != "Queued":
		return  # cancelled before it started, or a duplicate job
	settings = get_settings()
	contact = frappe.get_doc(contacts.CONTACT, doc.contact)
	language = contacts.language_of(contact, settings)
	frappe.flags.whatsapp_chatbot_language = language  # as in process_message
	with i18n.speaking(language):  # the handler's `_()`, its result, file name and errors in it
		_run(doc, contact, language, settings)


def _run(doc, contact, language: str, settings) -> None:
	started = time.monotonic()
	doc.db_set({"status": "Running", "started_at": now_datetime(), "progress": 0})
	progress.publish(doc, 0, status="Running")
	frappe.db.commit()

	definition = catalogue.find(doc.command, doc.run_as, doc.contact)
	if definition is None:
		outcome = local.Outcome(error="command no longer allowed for this user", refused=True)
	else:
		arguments, errors = definition.check(json.loads(doc.arguments or "{}"))
		site = None if errors else remote_long.target(doc, arguments, definition)
		tracker = progress.Progress(doc, contact, language, settings)
		with progress.tracking(tracker):
			try:
				if errors:
					outcome = local.Outcome(error="; ".join(errors))
				elif site:  # started there and followed, or its REST calls made from here
					outcome = remote_long.run(doc, definition, arguments, site, language)
				else:
					outcome = local.execute(definition, without_site(arguments), doc.run_as)
			except progress.Cancelled:
				return _cancelled(doc, contact, language)

	status = local.finish(doc, outcome, started, progress=100 if outcome.ok else doc.progress)
	long_commands.deliver(doc, outcome, contact, language)
	progress.publish(doc, doc.progress, status=status)
	frappe.db.commit()
	outbox.send_inline(contact.name)
	problem = long_commands.delivery_problem(doc)
	if problem:
		doc.db_set("error", problem)


def _cancelled(doc, contact, language: str) -> None:
	frappe.db.rollback()  # whatever the handler had started writing
	doc.reload()
	doc.db_set({"status": "Cancelled", "finished_at": now_datetime()})
	outbox.queue_text(
		contact,
		texts.text("long_cancelled", language, ref=doc.name),
		doc.conversation,
		answers=doc.message,
		key=f"{doc.name}:result",
	)
	progress.publish(doc, doc.progress or 0, status="Cancelled")
	frappe.db.commit()
	outbox.send_inline(contact.name)
