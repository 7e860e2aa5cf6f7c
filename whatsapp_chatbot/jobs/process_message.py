"""RQ entry point: process one incoming message, and every other one of the same sender pending.

One contact's messages are handled one at a time and in arrival order, by any number of workers on
any number of hosts: the job takes the sender's Redis lock (renewed while the job lives,
channel/locks.py), then works through that sender's unprocessed messages oldest first, including
those that arrive while it works. The lock is held across the whole turn, model calls included, on
purpose: that is what keeps the order. It never parks a worker, though: a job that finds the lock
taken returns at once and leaves its message to the holder (or, if the holder dies, to the sweep),
so a worker waits only on its own turn, never on another's.

That hand-off has one window: the holder's last look found nothing, a message is stored, its job
fails to take the lock, and only then does the holder let go. So the holder looks once more after
letting go, with a fresh snapshot, and takes the lock again for whatever arrived. A message stored
before a job's failed try is always answered without waiting for the sweep.

No database row lock is held while the model thinks: the message's status and attempts are
committed before the turn, the turn's own writes before each model call (interpreter/loop.py).
Every network wait fits the job's timeout (jobs/budget.py); a job short of time hands the
contact's next message to a fresh job. A job that finds its message already handled does nothing,
so redeliveries, sweeps and retries never answer twice.
"""

from __future__ import annotations

import threading

import frappe
from frappe.utils import add_to_date, get_datetime, now_datetime

from whatsapp_chatbot import permissions, pipeline, rows, session_user, texts
from whatsapp_chatbot.channel import contacts, handoff, held, inbox, locks, outbox
from whatsapp_chatbot.channel.graph import GraphError
from whatsapp_chatbot.channel.settings import get_settings, graph_client
from whatsapp_chatbot.jobs import budget, queues

MESSAGE = "Chatbot Message"
PENDING = ("Received", "Processing")
MAX_ATTEMPTS = 3  # a message that killed its worker three times is failed, with an apology
REFUSAL_INTERVAL_HOURS = 24


def process_message(message: str) -> None:
	# Jobs run as the user who enqueued them: Guest, from the webhook. Bookkeeping is done as
	# Administrator; the interpreter switches to the contact's own user for anything it reads.
	session_user.switch_user("Administrator")
	row = frappe.db.get_value(MESSAGE, message, ["sender_key", "status"], as_dict=True)
	if not row or row.status not in PENDING:
		return
	# what this job may still spend waiting on OpenAI, Meta and remote sites (loop.py, rest.py)
	frappe.flags.whatsapp_chatbot_budget = budget.Budget.for_job(queues.turn_timeout())
	try:
		take_turns(row.sender_key)
	finally:
		frappe.flags.whatsapp_chatbot_budget = None


def take_turns(sender_key: str) -> None:
	"""Drain the sender's messages under its lock, if it is free; then look again once let go."""
	tried: set[str] = set()
	while True:
		try:
			with locks.held(locks.sender(sender_key), timeout=lock_timeout(), wait=0):
				handed_over = drain(sender_key, tried)
		except locks.LockTimeout:
			# another worker is in this sender's turn (its lock is renewed while it lives): it answers
			# this message after its own; if it dies, its lock expires and the sweep queues this again
			return
		if handed_over:
			hand_over(sender_key, tried)
			return
		# a message whose job tried the lock between drain's last look and the release is ours:
		# look again in a fresh snapshot (REPEATABLE READ keeps showing the old one otherwise)
		frappe.db.rollback()
		if not untried(sender_key, tried):
			return


def lock_timeout() -> int:
	"""How long a dead worker's lock outlives it (a live one renews it; nobody waits for it)."""
	return int(get_settings().lock_timeout_seconds or 120)


def drain(sender_key: str, tried: set[str]) -> bool:
	"""The sender's pending messages oldest first, until none is left (those that arrive meanwhile
	too: their own jobs left them to this one). Each answer is sent before the next turn. True when
	the job is short of time and the rest goes to a fresh job."""
	spent = frappe.flags.whatsapp_chatbot_budget
	while True:
		waiting = untried(sender_key, tried)
		if not waiting:
			return False
		if tried and spent and spent.hand_over():  # every job runs one turn, whatever is left
			return True
		tried.add(waiting[0])  # once per job: one that stays pending is the sweep's
		# replies are queued here and sent by this job once the turn is committed (see send_inline)
		frappe.flags.whatsapp_chatbot_send_inline = True
		try:
			process_one(waiting[0])
			frappe.db.commit()  # each message is its own unit: a later failure must not undo this answer
		finally:
			frappe.flags.whatsapp_chatbot_send_inline = False
		contact = frappe.db.get_value(MESSAGE, waiting[0], "contact")
		if contact:
			outbox.send_inline(contact)


def untried(sender_key: str, tried: set[str]) -> list[str]:
	return [name for name in pending(sender_key) if name not in tried]


def hand_over(sender_key: str, tried: set[str]) -> None:
	"""Queue the sender's next message for a fresh job, now that the lock is free for it."""
	frappe.db.rollback()
	waiting = untried(sender_key, tried)
	if not waiting:
		return
	row = frappe.db.get_value(MESSAGE, waiting[0], ["wamid", "attempts"], as_dict=True)
	inbox.enqueue_processing(waiting[0], row.wamid, attempt=f"next{row.attempts or 0}")
	frappe.db.commit()  # the enqueue waits for a commit


def pending(sender_key: str) -> list[str]:
	# the query builder, not get_all: asked three times a job, and get_all's filter building cost
	# more than the query
	table = frappe.qb.DocType(MESSAGE)
	return (
		frappe.qb.from_(table)
		.select(table.name)
		.where(table.sender_key == sender_key)
		.where(table.direction == "Incoming")
		.where(table.status.isin(PENDING))
		.orderby(table.creation)
		.run(pluck=True)
	)


def process_one(name: str) -> None:
	message = rows.locked(MESSAGE, name)
	if message.status not in PENDING:
		return
	# who wrote and in which conversation is settled and committed first, with the attempt: an
	# answer step that fails later must not undo it (the apology needs the contact's 24-hour window)
	contact = contacts.from_message(message)
	conversation = contacts.conversation_for(contact)
	message.db_set(
		{
			"status": "Processing",
			"attempts": (message.attempts or 0) + 1,
			"contact": contact.name,
			"conversation": conversation.name,
			"user": contact.user,
		}
	)
	contacts.touch(conversation)
	# the contact wrote: what was held for the window goes back to the queue in this same commit, so
	# it goes out before this message's answer and a killed worker leaves it to the sweep
	held.release_if_open(contact.name)
	frappe.db.commit()  # also counts attempts that die with their worker, so a poison message ends
	if message.attempts > MAX_ATTEMPTS:
		return give_up(message, contact, "processing did not finish after repeated attempts")
	try:
		handle(message, contact, conversation)
	except Exception:
		frappe.db.rollback()
		message.reload()
		give_up(message, contact, frappe.get_traceback(with_context=False))


def handle(message, contact, conversation) -> None:
	settings = get_settings()
	if not settings.enabled and message.channel != "Terminal":  # the terminal needs no Meta setup
		return finish(message, "Ignored", "the chatbot is disabled in WhatsApp Chatbot Settings")
	if handoff.is_human(conversation):
		# a manager is answering this contact from the Desk: stored and shown, not answered
		return finish(
			message, "Handled by Person", f"conversation taken over by {conversation.taken_over_by}"
		)
	if message.message_type == "button" and held.is_release(message.interactive_id):
		# the "messages waiting" button: releasing was its whole point (done above), not a question
		own = message.interactive_id == held.release_payload(contact)
		note = (
			"the 'messages waiting' button: held messages released"
			if own
			else "another contact's release button"
		)
		return finish(message, "Answered" if own else "Ignored", note)
	if not permissions.contact_may_chat(contact):
		refuse(message, contact, conversation, settings)
		return finish(message, "Ignored", "unknown, disabled or unauthorised contact")
	if message.message_type not in pipeline.ANSWERABLE_TYPES:
		return finish(message, "Ignored")

	typing_sent = show_typing(message, settings)
	try:
		respond(message, contact, conversation, settings)
	finally:
		typing_sent()


def respond(message, contact, conversation, settings) -> None:
	language = contacts.language_for(contact, message.text, settings)
	turn = pipeline.Turn(message, contact, conversation, language, settings)
	# commands that speak for themselves (a chart's caption) use the turn's language
	frappe.flags.whatsapp_chatbot_language = language
	# the contact's language, if this message changed it, is committed before the answer step's
	# first model call (a voice note's transcription): no row lock is held while OpenAI works
	frappe.db.commit()
	try:
		replies = pipeline.answer(turn)
	except pipeline.TurnFailed as failure:
		# OpenAI down, rate-limited or timing out: an apology now, and a Failed message the
		# Desk can run again later. Commands recorded so far stay.
		outbox.queue_text(
			contact,
			texts.text(failure.text_key, language),
			conversation.name,
			answers=message.name,
			key=f"{message.name}:unavailable",
		)
		return finish(message, "Failed", failure.reason)
	for index, reply in enumerate(replies):
		key = f"{message.name}:{index}"
		if isinstance(reply, dict):
			outbox.queue(contact, reply, conversation.name, answers=message.name, key=key)
		else:  # a command Result carrying a file
			filename, content, mime_type = reply.attachment
			outbox.queue_document(
				contact,
				filename,
				content,
				mime_type,
				reply.text,
				conversation.name,
				answers=message.name,
				key=key,
			)
	contacts.touch(conversation)
	finish(message, "Answered", message.flags.get("answer_note"))  # e.g. why a file was refused


def refuse(message, contact, conversation, settings) -> None:
	"""The unknown-contact reply, at most once per 24 hours, and nothing else."""
	reply = (settings.unknown_contact_reply or "").strip()
	if not reply:
		return
	since = add_to_date(now_datetime(), hours=-REFUSAL_INTERVAL_HOURS)
	if contact.last_refusal_at and get_datetime(contact.last_refusal_at) > since:
		return
	contact.db_set("last_refusal_at", now_datetime())
	outbox.queue_text(contact, reply, conversation.name, answers=message.name, key=f"{message.name}:refusal")


def show_typing(message, settings):
	"""Blue ticks and the typing indicator, sent beside the turn: the model need not wait for a
	round trip to Meta (a tenth of a second or more) before it starts. Returns a function that
	waits for it to be done, called before the turn's replies are sent (so the indicator never
	arrives after the answer); a failure is cosmetic, so it is logged, not fatal."""
	if message.channel == "Terminal":
		return _nothing
	try:
		client = graph_client(settings)
	except frappe.ValidationError as error:
		frappe.logger("whatsapp_chatbot").warning(f"mark as read failed for {message.name}: {error}")
		return _nothing
	failed = []

	def send() -> None:  # no frappe in this thread: only the Graph client's HTTP call
		try:
			client.mark_read(message.wamid, typing=True)
		except GraphError as error:
			failed.append(error)

	sending = threading.Thread(target=send, name="whatsapp-typing", daemon=True)
	sending.start()

	def sent() -> None:
		sending.join()
		if failed:
			frappe.logger("whatsapp_chatbot").warning(f"mark as read failed for {message.name}: {failed[0]}")

	return sent


def _nothing() -> None:
	pass


def finish(message, status: str, note: str | None = None) -> None:
	message.db_set({"status": status, "processed_at": now_datetime(), "error_message": note})


def give_up(message, contact, reason: str) -> None:
	"""Failed, re-runnable from the Desk, and the user hears about it once in their language."""
	frappe.log_error(title=f"WhatsApp message {message.name} failed", message=reason)
	finish(message, "Failed", reason[-1000:])
	if permissions.contact_may_chat(contact):
		language = contacts.language_of(contact, get_settings())
		outbox.queue_text(
			contact,
			texts.text("failed", language),
			message.conversation,
			answers=message.name,
			key=f"{message.name}:failed",
		)
