"""Confirmation before any write: preview, Confirm / Cancel buttons, single use, expiry.

A write proposed by the model (or by a /command) is never run on the spot. The user gets the
preview and two reply buttons whose id carries the command and a random token:
`cmd:<Chatbot Command>:<token>:y|n`. A button counts only for the contact the command was proposed
to, only while the command is Awaiting Confirmation and not expired, and only once: the token is
cleared as the command leaves that state, under a row lock, so a replayed or forwarded button id
does nothing. A typed "sí" / "yes" / "confirm" confirms the contact's latest pending command.

A Confirm is settled and committed before anything runs: a worker killed after the write (here or
on a remote site) cannot roll the command back to Awaiting Confirmation for the same press to run
it twice. The same message processed again finds the command settled by it (`Confirmed.again`);
one left Queued by a dead worker is failed with `interrupted`, never run again.

This module keeps the question and its answer; running a confirmed command is the dispatcher's
(executors/dispatch.py), which is also what previews the write before `propose` asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import frappe
from frappe.utils import add_to_date, get_datetime, now_datetime

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.executors import local

COMMAND = "Chatbot Command"
BUTTON_ID = re.compile(r"^cmd:(?P<name>[A-Za-z0-9-]+):(?P<token>[a-z0-9]+):(?P<answer>[yn])$")
# typed answers in English, Spanish and Portuguese ("sim", "pode"; "não")
YES = {"si", "sí", "sim", "yes", "y", "confirm", "confirmar", "confirmo", "ok", "dale", "adelante", "pode", "go"}  # fmt: skip
NO = {"no", "não", "nao", "n", "cancel", "cancelar", "cancela"}
INTERRUPTED = "interrupted; not run again to avoid doing it twice — check the document"


def normalise_reply(text: str | None) -> str:
	return re.sub(r"[^\wáéíóúñü ]", "", (text or "").strip().lower()).strip()


def is_yes(text: str | None) -> bool:
	return normalise_reply(text) in YES


def is_no(text: str | None) -> bool:
	return normalise_reply(text) in NO


@dataclass
class Confirmed:
	"""A valid Confirm: the command (now Queued, token spent) is the dispatcher's to run."""

	doc: object  # Chatbot Command
	again: bool = False  # this same message settled it before (its turn is running again)


def propose(turn, command, arguments: dict, preview: str) -> list[dict]:
	"""Record the previewed write Awaiting Confirmation; the messages that ask the question."""
	minutes = int(turn.settings.confirmation_minutes or 10)
	token = frappe.generate_hash(length=16).lower()
	doc = local.record(
		turn,
		command,
		arguments,
		"Awaiting Confirmation",
		preview=preview,
		confirmation_token=token,
		expires_at=add_to_date(now_datetime(), minutes=minutes),
	)
	return bodies(doc, preview, token, turn.language, minutes)


def bodies(doc, preview: str, token: str, language: str, minutes: int) -> list[dict]:
	question = texts.text("confirm_question", language, ref=doc.name, minutes=minutes)
	choices = [
		(f"cmd:{doc.name}:{token}:y", texts.text("confirm_button", language)),
		(f"cmd:{doc.name}:{token}:n", texts.text("cancel_button", language)),
	]
	if len(preview) + len(question) + 2 <= outgoing.INTERACTIVE_BODY_LIMIT:
		return [outgoing.buttons(f"{preview}\n\n{question}", choices)]
	# a long preview goes first as text; the buttons follow with the question
	return [
		*(outgoing.text(part) for part in outgoing.split_text(preview)),
		outgoing.buttons(question, choices),
	]


def has_pending(contact: str) -> bool:
	return bool(frappe.db.exists(COMMAND, {"contact": contact, "status": "Awaiting Confirmation"}))


def handle_button(turn, button_id: str) -> list[dict] | Confirmed | None:
	"""Answer a Confirm/Cancel button press; None when the id is not one of ours."""
	match = BUTTON_ID.match(button_id or "")
	if not match:
		return None
	return resolve(turn, match["name"], match["token"], match["answer"] == "y")


def handle_typed(turn, yes: bool) -> list[dict] | Confirmed:
	"""A typed yes/no answers the contact's most recent pending command."""
	pending = frappe.get_all(
		COMMAND,
		filters={"contact": turn.contact.name, "status": "Awaiting Confirmation"},
		fields=["name", "confirmation_token"],
		order_by="creation desc",
		limit=1,
	)
	if not pending:
		return [outgoing.text(texts.text("nothing_pending", turn.language))]
	return resolve(turn, pending[0].name, pending[0].confirmation_token, yes)


def bound(doc, turn, token: str | None) -> bool:
	"""The one rule for a button bound to a contact (a Confirm here; an approval's action in
	approvals/press.py): `doc` (with contact, run_as and confirmation_token) counts only when
	pressed by the contact it was sent to, while that contact is still linked to the User it was
	sent for (proposed to the number's previous User it would run as them; relinking cancels
	these, and this holds even when the link was changed behind the controller's back), carrying
	the random token stored with it, which is cleared once used."""
	return (
		doc.contact == turn.contact.name
		and doc.run_as == turn.contact.user
		and bool(token)
		and doc.confirmation_token == token
	)


def resolve(turn, name: str, token: str, yes: bool) -> list[dict] | Confirmed:
	"""Replies for an invalid, expired or cancelled answer; `Confirmed` for a valid yes."""
	language = turn.language
	if not frappe.db.exists(COMMAND, name):
		return [outgoing.text(texts.text("confirmation_invalid", language))]
	doc = frappe.get_doc(COMMAND, name, for_update=True)  # two presses at once: one waits here
	if (
		doc.contact == turn.contact.name
		and doc.message == turn.message.name
		and doc.status not in ("Awaiting Confirmation", "Cancelled", "Expired")
	):
		return Confirmed(doc, again=True)  # a retry of the press that confirmed it: never a second run
	if not bound(doc, turn, token) or doc.status != "Awaiting Confirmation":
		return [outgoing.text(texts.text("confirmation_invalid", language))]
	if doc.expires_at and get_datetime(doc.expires_at) < now_datetime():
		doc.db_set({"status": "Expired", "confirmation_token": None})
		return [outgoing.text(texts.text("expired", language, ref=doc.name))]
	if not yes:
		doc.db_set({"status": "Cancelled", "confirmation_token": None, "finished_at": now_datetime()})
		return [outgoing.text(texts.text("cancelled", language, ref=doc.name))]

	doc.db_set({"status": "Queued", "confirmation_token": None, "message": turn.message.name})
	# settled for good before any side effect: whatever happens to this worker from here on (a kill
	# after the remote insert, a failure before the turn commits), the token is spent
	frappe.db.commit()
	return Confirmed(doc)


def interrupted(name: str) -> bool:
	"""Fail a confirmed command that a dead worker left Queued, maybe after it wrote: it is not run
	again (twice is worse than once), and the contact is told once to check. False if it was not
	Queued any more."""
	from whatsapp_chatbot.channel import contacts, outbox

	doc = frappe.get_doc(COMMAND, name, for_update=True)
	if doc.status != "Queued":
		return False
	doc.db_set({"status": "Failed", "finished_at": now_datetime(), "error": INTERRUPTED})
	contact = frappe.get_doc(contacts.CONTACT, doc.contact)
	outbox.queue_text(
		contact,
		texts.text("confirmed_interrupted", contacts.language_of(contact), ref=doc.name),
		doc.conversation,
		answers=doc.message,
		key=f"{doc.name}:interrupted",  # the sweep and a retried turn may both get here: told once
	)
	return True


def expire_stale() -> int:
	"""Mark confirmations whose time ran out as Expired (run by the sweep)."""
	names = frappe.get_all(
		COMMAND,
		filters={"status": "Awaiting Confirmation", "expires_at": ("<", now_datetime())},
		pluck="name",
		limit=500,
	)
	for name in names:
		frappe.db.set_value(COMMAND, name, {"status": "Expired", "confirmation_token": None})
	return len(names)
