"""Taking a Workflow action as the session user: an approver's button, or their typed request
once confirmed. The one path both go through.

Checked again at that moment, as that user: they may read the document; it is still in the state
(and, for a button, the version) they were shown; the action is one `get_transitions` offers them
now (their roles, the transition's condition) and self-approval rules allow it. The document's row
is locked first, so an edit saved meanwhile waits and cannot slip between the check and the action.
Then Frappe's `apply_workflow` applies it (saving, submitting or cancelling as the next state says,
with the document's own validations and permissions) and adds its Workflow comment to the
timeline, by this user; the other approvers of the step are told (approvals/offers.py).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.workflow import apply_workflow, get_transitions, get_workflow_name, has_approval_access
from frappe.utils import get_datetime
from frappe.workflow.doctype.workflow_action.workflow_action import get_doc_workflow_state

from whatsapp_chatbot.approvals import offers, summary
from whatsapp_chatbot.charts.slash import plain
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import Result

TYPED_LANGUAGES = ("es", "pt")  # an action may be named in these whatever language the bot speaks


class Changed(CommandError):
	"""The document is not the one the approver was shown: nothing was applied."""


class NotOpen(CommandError):
	"""The action is not one this user may take on the document now: nothing was applied."""


def document(doctype: str, name: str, lock: bool = False):
	"""The document, if it has a Workflow and the session user may read it."""
	if not get_workflow_name(doctype):
		raise CommandError(_("{doctype} has no active workflow.").format(doctype=_(doctype)))
	if not frappe.db.exists(doctype, name):
		raise frappe.DoesNotExistError(_("{doctype} {name} not found").format(doctype=_(doctype), name=name))
	doc = frappe.get_doc(doctype, name, for_update=lock)
	doc.check_permission("read")
	return doc


def open_transitions(doc) -> list:
	"""What the session user may do on the document now, one transition per action."""
	user, found, seen = frappe.session.user, [], set()
	for transition in get_transitions(doc):
		transition = frappe._dict(transition)
		if transition.action not in seen and has_approval_access(user, doc, transition):
			seen.add(transition.action)
			found.append(transition)
	return found


def find(transitions: list, action: str):
	"""The transition for `action`: its name as the Workflow spells it, or as the user typed it
	(any case and accents, or its Spanish or Portuguese name: "aprobar" is "Approve")."""
	for transition in transitions:
		if transition.action == action:
			return transition
	wanted = plain(action)
	languages = {frappe.local.lang, *TYPED_LANGUAGES}
	for transition in transitions:
		names = {plain(transition.action)} | {plain(_(transition.action, lang=code)) for code in languages}
		if wanted in names:
			return transition
	return None


def check(doc, action: str, state: str | None = None, modified=None):
	"""The transition to apply, or Changed / NotOpen saying why not (with the current state)."""
	current = get_doc_workflow_state(doc)
	if (state and current != state) or (modified and get_datetime(doc.modified) != get_datetime(modified)):
		raise Changed(
			_("{doctype} {name} changed since that message, so nothing was done. It is now: {state}.").format(
				doctype=_(doc.doctype), name=doc.name, state=_(current)
			)
		)
	transitions = open_transitions(doc)
	transition = find(transitions, action)
	if transition is None:
		choices = ", ".join(_(t.action) for t in transitions)
		sentence = (
			_("“{action}” is not open to you on {doctype} {name} (it is {state}). You may: {choices}.")
			if choices
			else _(
				"“{action}” is not open to you on {doctype} {name} (it is {state}); nothing there waits for you."
			)
		)
		raise NotOpen(
			sentence.format(
				action=action, doctype=_(doc.doctype), name=doc.name, state=_(current), choices=choices
			)
		)
	return transition


def apply(doctype: str, name: str, action: str, state: str | None = None, modified=None) -> Result:
	"""Apply `action` as the session user; `state` / `modified`: what the user was shown."""
	doc = document(doctype, name, lock=True)
	from_state = get_doc_workflow_state(doc)
	transition = check(doc, action, state, modified)
	applied = apply_workflow(doc, transition.action)
	doc = applied or frappe.get_doc(doctype, name)  # None: submission queued in the background
	to_state = get_doc_workflow_state(doc)
	offers.done(doc, from_state, transition.action, frappe.session.user, to_state)
	return Result(
		_("Done: “{action}” on {doctype} *{name}*. It is now: {state}.").format(
			action=_(transition.action), doctype=_(doc.doctype), name=doc.name, state=_(to_state)
		),
		data={
			"doctype": doc.doctype,
			"name": doc.name,
			"action": transition.action,
			"from_state": from_state,
			"to_state": to_state,
		},
	)


def preview(doctype: str, name: str, action: str, state: str | None = None) -> str:
	"""What a typed request would do, checked as the user now (nothing applied)."""
	doc = document(doctype, name)
	transition = check(doc, action, state)
	read = summary.of(doc, get_doc_workflow_state(doc))
	details = " · ".join(part for part in (read.party, read.amount) if part)
	return _("“{action}” on {doctype} *{name}*{details}: {from_state} → {to_state}").format(
		action=_(transition.action),
		doctype=_(doc.doctype),
		name=doc.name,
		details=f" ({details})" if details else "",
		from_state=_(transition.state),
		to_state=_(transition.next_state),
	)
