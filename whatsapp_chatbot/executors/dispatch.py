"""The one place a validated command is dispatched: wait for Confirm, go long, or run now; and where.

Every way in (the model's tool calls, a /command, a Confirm button or a typed "sí", the Desk's
Re-run) validates the arguments against the command's schema and hands them here, so the rules
hold the same for all of them:

- a write (or an admin command that asks for it) not yet confirmed is previewed as the user and
  becomes a Confirm / Cancel question (tools/confirmation.py); nothing is written;
- a long command is queued on RQ `long` and the user hears "working on it" (executors/long.py);
- anything else runs now, recorded as a Chatbot Command, and its outcome goes back to the caller.

Where it runs is the executor's business: the local one (the Frappe ORM as the contact's User) or,
for a command that can run remotely, the remote site its arguments name (or the contact's default
one when they name none). The callers never pick.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.executors import local, remote
from whatsapp_chatbot.executors import long as long_commands
from whatsapp_chatbot.tools import catalogue, confirmation


@dataclass
class Dispatched:
	"""What came of one dispatch.

	`final`: the turn ends here with `replies` (a question, "working on it", a refusal). Otherwise the
	command ran now (or its preview failed) and `outcome` is for whoever asked: the model reads it,
	a /command shows it with `user_replies`."""

	replies: list = field(default_factory=list)
	outcome: local.Outcome | None = None
	doc: object | None = None  # the Chatbot Command recorded, if any
	final: bool = False

	@property
	def ran(self) -> bool:
		return not self.final and self.doc is not None

	def user_replies(self, language: str) -> list:
		if self.final:
			return self.replies
		return outcome_replies(self.outcome, language)


def executor_for(turn, command, arguments: dict):
	"""The executor for this command and arguments: local, unless the command can run remotely and
	they name a remote site (or the contact has a default one and they name none): then
	executors/remote.py, as the contact's user there."""
	return remote.for_turn(turn, command, arguments) or local


def dispatch(turn, command, arguments: dict, *, doc=None) -> Dispatched:
	"""Dispatch a command whose arguments were already validated with `command.check`."""
	executor = executor_for(turn, command, arguments)
	if command.needs_confirmation:
		preview = executor.execute(command, arguments, turn.contact.user, call=command.preview)
		if not preview.ok:
			return Dispatched(outcome=preview)
		bodies = confirmation.propose(turn, command, arguments, preview.result.text)
		return Dispatched(replies=bodies, final=True)
	return _run(turn, command, arguments, executor, doc)


def run_confirmed(turn, confirmed: confirmation.Confirmed) -> list:
	"""After Confirm: check again that the user may still run it, then run it (or queue it)."""
	doc, language = confirmed.doc, turn.language
	if confirmed.again:
		return _confirmed_before(turn, doc)
	command = catalogue.find(doc.command, turn.contact.user, turn.contact.name)
	if command is None:
		doc.db_set({"status": "Failed", "error": "command no longer allowed for this user"})
		return [outgoing.text(texts.text("not_permitted", language))]
	arguments, errors = command.check(json.loads(doc.arguments or "{}"))
	if errors:
		doc.db_set({"status": "Failed", "error": "; ".join(errors)})
		return [outgoing.text(texts.text("command_failed", language, error="; ".join(errors)))]
	executor = executor_for(turn, command, arguments)
	if command.kind == long_commands.LONG:
		return long_commands.start(turn, command, arguments, doc)
	return _run(turn, command, arguments, executor, doc).user_replies(language)


def _confirmed_before(turn, doc) -> list:
	"""The press that confirmed `doc` is being handled again (its worker died, or the Desk re-ran
	the message): never run it a second time. We hold the sender's lock, so whoever ran it is gone."""
	if doc.status == "Queued" and doc.kind == long_commands.LONG:
		# its job may never have been queued (the worker died before committing): queue it, once
		long_commands.enqueue(doc.name, int(turn.settings.long_job_timeout or 1500))
		return [outgoing.text(texts.text("working", turn.language, ref=doc.name))]
	if doc.status == "Queued":
		confirmation.interrupted(doc.name)  # it may have written already: the user checks, once
		return []
	if doc.error == confirmation.INTERRUPTED:
		return []  # the sweep found it first and told the user
	return [outgoing.text(texts.text("confirmation_done", turn.language, ref=doc.name, status=doc.status))]


def _run(turn, command, arguments: dict, executor, doc) -> Dispatched:
	if long_commands.runs_long(command, arguments, turn.contact.user, turn.settings, executor):
		return Dispatched(replies=long_commands.start(turn, command, arguments, doc), final=True)
	doc, outcome = executor.run_recorded(turn, command, arguments, doc)
	return Dispatched(outcome=outcome, doc=doc)


def outcome_replies(outcome: local.Outcome, language: str) -> list:
	"""What the user sees of an outcome no model words for them (shortcuts, confirmed writes):
	the text, the file (with the text as its caption), or why not."""
	if not outcome.ok and outcome.refused and outcome.worded:
		return [outgoing.text(outcome.error)]  # e.g. the remote site's refusal, naming the site
	if not outcome.ok:
		key = "not_permitted" if outcome.refused else "command_failed"
		return [outgoing.text(texts.text(key, language, error=outcome.error))]
	if outcome.result.attachment:
		return [outcome.result]
	return [outgoing.text(part) for part in outgoing.split_text(outcome.result.text)]
