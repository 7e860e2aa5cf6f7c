"""What a contact leaves behind when its User changes (or it is disabled).

The conversation's history and a pending confirmation belong to the User they were made for: a
confirmation runs as its command's `run_as`, and the model reads the conversation's earlier
results. So a change of User closes the open conversations (the next message starts a new one with
no history) and cancels the commands still waiting to run; disabling a contact cancels them too.
What was closed or cancelled is noted on the contact's timeline.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

COMMAND = "Chatbot Command"
CONVERSATION = "Chatbot Conversation"
OPEN = ("Open", "Waiting", "Human")


def forget_old_user(contact, old_user: str | None) -> None:
	closed = frappe.get_all(
		CONVERSATION, filters={"contact": contact.name, "status": ("in", OPEN)}, pluck="name"
	)
	for name in closed:
		frappe.db.set_value(CONVERSATION, name, "status", "Closed")
	reason = _("its User changed from {0} to {1}").format(old_user or "-", contact.user or "-")
	cancelled, stopping = _cancel(contact.name)
	_note(contact, reason, closed, cancelled, stopping)


def cancel_pending(contact, reason: str) -> None:
	cancelled, stopping = _cancel(contact.name)
	_note(contact, reason, [], cancelled, stopping)


def _cancel(contact: str) -> tuple[list[str], list[str]]:
	"""Cancel what would still run as the old User: confirmations not yet answered and queued work.
	Running long work is asked to stop (it checks at its next progress step)."""
	from whatsapp_chatbot.executors import long

	cancelled, stopping = [], []
	names = frappe.get_all(
		COMMAND,
		filters={"contact": contact, "status": ("in", ("Awaiting Confirmation", "Queued", "Running"))},
		pluck="name",
		order_by="creation asc",
	)
	for name in names:
		doc = frappe.get_doc(COMMAND, name, for_update=True)
		if doc.status == "Awaiting Confirmation":
			doc.db_set({"status": "Cancelled", "confirmation_token": None, "finished_at": now_datetime()})
			cancelled.append(name)
		elif doc.status == "Queued" or doc.kind == "Long":  # an inline command finishes in its turn
			if long.request_cancel(doc):
				cancelled.append(name)
			else:
				stopping.append(name)
	return cancelled, stopping


def _note(contact, reason: str, closed: list[str], cancelled: list[str], stopping: list[str]) -> None:
	if not (closed or cancelled or stopping):
		return
	parts = []
	if closed:
		parts.append(_("closed conversations {0}").format(", ".join(closed)))
	if cancelled:
		parts.append(_("cancelled commands {0}").format(", ".join(cancelled)))
	if stopping:
		parts.append(_("asked running commands {0} to stop").format(", ".join(stopping)))
	contact.add_comment("Info", _("Because {0}: {1}.").format(reason, "; ".join(parts)))
