"""Running subscriptions when they are due: the scheduler's tick claims them, a job runs each one.

The tick (every minute, hooks.scheduler_events) reads what is due (`next_run_at` passed, enabled)
and claims each row with one conditional UPDATE that moves `next_run_at` to the next run counted
from now: `… WHERE name = %s AND next_run_at = <the value it read>`. Two ticks at once (two
schedulers, two benches on one database) both try; the row lock lets one UPDATE through and the
other then matches nothing, so each due run is claimed once. A server that was down at 8:00 finds
the row due when it is back and runs it once; the next run is counted from now, not from 8:00.

Each claimed run is a job (queue short). It runs as the subscription's User *at that moment*: the
command must still be allowed to that User (catalogue.find, the same check as a typed command), and
then goes through the one dispatcher like any command: text, a chart, a file, or long work on the
long queue. Its replies go out through the outbox, which holds them while the contact's 24-hour
window is closed (one "messages waiting" template until they write, channel/held.py).

- A User who lost the permission gets nothing and is told once (until it comes back); the
  subscription is skipped, not paused, so it resumes by itself when the permission returns.
- A contact that now belongs to another User pauses it (its data would go to someone else's phone).
- Three failures in a row pause it, and its owner (WhatsApp) and the managers (Notification Log)
  are told. A long run's outcome is known when its job ends: it is counted at the next run.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.translate import get_user_lang
from frappe.utils import escape_html, now_datetime

from whatsapp_chatbot import i18n, permissions, pipeline, texts
from whatsapp_chatbot.channel import alerts, contacts, locks, outbox, outgoing, standin
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.executors import dispatch
from whatsapp_chatbot.jobs.queues import turn_queue
from whatsapp_chatbot.subscriptions import records, schedule
from whatsapp_chatbot.subscriptions.records import DOCTYPE, Plan
from whatsapp_chatbot.tools import catalogue
from whatsapp_chatbot.tools.registry import Result

RUN_JOB = "whatsapp_chatbot.jobs.subscriptions.run_subscription"
BATCH = 5000  # rows claimed per tick; more wait for the next minute
MAX_FAILURES = 3
ONCE_TTL = 2 * 24 * 3600  # a claimed run is run at most once, even if its job is queued twice


# -- the tick ---------------------------------------------------------------------------------------


def due(now) -> list:
	return frappe.db.sql(
		f"""select name, next_run_at, frequency, send_at, weekday, day_of_month
		from `tab{DOCTYPE}` where enabled = 1 and next_run_at <= %s
		order by next_run_at, name limit %s""",
		(now, BATCH),
		as_dict=True,
	)


def claim(row, now) -> bool:
	"""Move this due row's next run on, if no one else did since it was read. True: it is ours."""
	try:
		following = schedule.next_run(row.frequency, row.send_at, now, row.weekday, row.day_of_month)
	except schedule.ScheduleError as error:  # a row written around the form's rules
		frappe.db.sql(
			f"update `tab{DOCTYPE}` set enabled = 0, paused_reason = %s where name = %s",
			(f"its schedule cannot run ({error.key})", row.name),
		)
		return False
	frappe.db.sql(
		f"""update `tab{DOCTYPE}` set next_run_at = %s, last_run_at = %s
		where name = %s and enabled = 1 and next_run_at = %s""",
		(following, now, row.name, row.next_run_at),
	)
	return frappe.db._cursor.rowcount == 1


def tick(now=None) -> list[tuple[str, str]]:
	"""Claim what is due and queue a run for each; returns the (name, due time) claimed here."""
	claimed = claim_due(now or now_datetime())
	enqueue_runs(claimed)
	return claimed


def claim_due(now) -> list[tuple[str, str]]:
	claimed = [(row.name, str(row.next_run_at)) for row in due(now) if claim(row, now)]
	frappe.db.commit()  # the claims are final before any job can start
	return claimed


def enqueue_runs(claimed: list[tuple[str, str]]) -> None:
	for name, due_at in claimed:
		frappe.enqueue(
			RUN_JOB,
			queue=turn_queue(),
			subscription=name,
			due_at=due_at,
			job_id=f"whatsapp_chatbot:subscription:{name}:{due_at}",
		)


# -- one run ----------------------------------------------------------------------------------------


def run(name: str, due_at: str) -> None:
	"""Run one claimed subscription (the job; bookkeeping as Administrator, the command as its User)."""
	if not locks.once(f"subscription:{name}:{due_at}", ttl=ONCE_TTL):
		return  # this claim ran already (its job was queued or taken twice)
	sub = frappe.get_doc(DOCTYPE, name) if frappe.db.exists(DOCTYPE, name) else None
	if sub is None or not sub.enabled:
		return
	contact = frappe.db.exists(contacts.CONTACT, sub.contact) and frappe.get_doc(
		contacts.CONTACT, sub.contact
	)
	if not contact or contact.user != sub.user:
		return pause(sub, "its contact now belongs to another User (or was deleted)")
	if not permissions.contact_may_chat(contact):
		return note(sub, "skipped: the contact or its User may not use the chatbot now")
	settings = get_settings()
	language = contacts.language_of(contact, settings)
	conversation = contacts.conversation_for(contact)
	frappe.db.commit()  # kept whatever the run does: a failing run rolls back to here
	frappe.flags.whatsapp_chatbot_language = language  # as a turn does: charts speak it
	with i18n.speaking(language):
		replies = settle_long_run(sub, language)
		if sub.enabled:
			try:
				replies += _dispatch(sub, pipeline.Turn(None, contact, conversation, language, settings))
			except Exception:
				frappe.db.rollback()
				frappe.log_error(
					title=f"WhatsApp subscription {name} failed",
					message=frappe.get_traceback(with_context=False),
				)
				sub.reload()
				replies = failed(sub, language, "unexpected error; the team can see the error log")
	frappe.flags.whatsapp_chatbot_send_inline = True  # sent below, by this job, once committed
	try:
		key = f"subscription:{name}:{due_at}"
		outbox.queue_replies(contact, replies, conversation.name, _answers(contact), key)
	finally:
		frappe.flags.whatsapp_chatbot_send_inline = False
	frappe.db.commit()
	if replies:
		outbox.send_inline(contact.name)


def _dispatch(sub, turn) -> list:
	"""The run itself, as the subscription's User, through the one dispatcher: its replies (the
	subscription's title on top), or what the owner is told instead."""
	language = turn.language
	command = catalogue.find(sub.command, sub.user, turn.contact.name)
	if command is None or not records.subscribable(command):
		return not_permitted(sub, language)
	arguments, errors = command.check(records.run_arguments(command, Plan.of(sub)))
	if errors:
		return failed(sub, language, "; ".join(errors))
	started = now_datetime()
	dispatched = dispatch.dispatch(turn, command, arguments)
	if dispatched.final:  # gone to the long queue: its job delivers, its outcome counts next time
		doc = _newest_command(turn.contact.name, started)
		sub.db_set({"last_command": doc, "outcome_pending": 1 if doc else 0})
		return _headed(dispatched.replies, sub.title, language)
	outcome = dispatched.outcome
	sub.db_set("last_command", dispatched.doc.name if dispatched.doc else None)
	if outcome.ok:
		succeeded(sub)
		return _headed(dispatched.user_replies(language), sub.title, language)
	if outcome.refused:
		return not_permitted(sub, language)
	return failed(sub, language, outcome.error)


def _answers(contact) -> str | None:
	"""A stand-in contact (one made for the Playground) has no WhatsApp: what it gets goes on its own
	channel, which the outbox takes from the message answered, so its latest is named."""
	if not (contact.user_id or "").startswith(standin.USER_ID_PREFIX):
		return None
	return frappe.db.get_value(
		"Chatbot Message",
		{"contact": contact.name, "direction": "Incoming"},
		"name",
		order_by="creation desc",
	)


def _headed(replies: list, title: str, language: str) -> list:
	"""The subscription's title on top of what it sends: the user knows why it came."""
	header = texts.text("subscription_header", language, title=title)
	if replies and isinstance(replies[0], dict) and replies[0].get("type") == "text":
		body = f"{header}\n\n{replies[0]['text']['body']}"
		if len(body) <= outgoing.TEXT_LIMIT:
			return [outgoing.text(body), *replies[1:]]
	if replies and isinstance(replies[0], Result):  # a file: the title leads its caption
		first = replies[0]
		return [Result(f"{header}\n{first.text}", first.data, first.attachment), *replies[1:]]
	return [outgoing.text(header), *replies]


def _newest_command(contact: str, since) -> str | None:
	return frappe.db.get_value(
		"Chatbot Command", {"contact": contact, "creation": (">=", since)}, "name", order_by="creation desc"
	)


# -- outcomes ---------------------------------------------------------------------------------------


def succeeded(sub) -> None:
	sub.db_set({"failures": 0, "last_error": None, "told_not_permitted": 0, "outcome_pending": 0})


def note(sub, reason: str) -> None:
	sub.db_set("last_error", reason)


def not_permitted(sub, language: str) -> list:
	"""Nothing is run or sent; the owner hears it once (until a run succeeds again)."""
	note(sub, f"skipped: {sub.user} may not run {sub.command} now")
	if sub.told_not_permitted:
		return []
	sub.db_set("told_not_permitted", 1)
	return [
		outgoing.text(texts.text("subscription_not_permitted", language, title=sub.title, number=sub.number))
	]


def failed(sub, language: str, error: str) -> list:
	failures = (sub.failures or 0) + 1
	sub.db_set({"failures": failures, "last_error": (error or "")[:1000], "outcome_pending": 0})
	if failures < MAX_FAILURES:
		return [outgoing.text(texts.text("subscription_failed", language, title=sub.title, error=error))]
	pause(sub, f"failed {failures} times in a row: {error}"[:1000])
	return [outgoing.text(texts.text("subscription_paused", language, title=sub.title, error=error))]


def pause(sub, reason: str) -> None:
	sub.db_set({"enabled": 0, "paused_reason": reason})
	sub.add_comment("Info", reason)

	def subject(user: str) -> str:
		return _("WhatsApp subscription {0} of {1} was paused", lang=get_user_lang(user)).format(
			escape_html(sub.title or sub.name), escape_html(sub.user)
		)

	alerts.notify_managers(subject, lambda user: escape_html(reason), DOCTYPE, sub.name)


def settle_long_run(sub, language: str) -> list:
	"""Count the outcome of the previous run if it went to the long queue (its job told the owner
	how it ended); what the owner is told if that failure pauses it."""
	if not sub.outcome_pending or not sub.last_command:
		return []
	status, error = frappe.db.get_value("Chatbot Command", sub.last_command, ["status", "error"]) or (
		None,
		None,
	)
	if status == "Succeeded":
		succeeded(sub)
	elif status == "Failed":
		replies = failed(sub, language, error or status)
		return replies if not sub.enabled else []  # the failure itself was told by the long job
	elif status == "Cancelled":  # stopped by a person: not the subscription's failure
		sub.db_set("outcome_pending", 0)
	return []
