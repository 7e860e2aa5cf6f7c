"""An approval button pressed: find the Chatbot Approval its id names, and never trust the id.

The press counts only for the contact the buttons were sent to, while that contact is still linked
to the approver's User, with the token stored for those buttons (tools/confirmation.bound: the
same rule as a Confirm), and only while the approval is Open. It is spent (Used, token cleared)
and committed before anything runs, so a second press, a retry of the same message or the same id
from another phone finds it spent. Then the action is checked again and applied as the approver
(approvals/act.py). Every press, valid or not, is a Chatbot Command `apply_workflow_action`: who,
which action, from which state to which, or why nothing was done.
"""

from __future__ import annotations

import json
import time

import frappe
from frappe import _
from frappe.model.workflow import get_workflow_name, get_workflow_state_field
from frappe.utils import now_datetime
from frappe.workflow.doctype.workflow_action.workflow_action import get_doc_workflow_state

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.approvals import act, message, offers, summary
from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.executors import local
from whatsapp_chatbot.tools import confirmation
from whatsapp_chatbot.tools.registry import REGISTRY

APPROVAL = offers.APPROVAL
COMMAND_NAME = "apply_workflow_action"


def command():
	from whatsapp_chatbot.tools import approvals

	return REGISTRY[COMMAND_NAME]


def handle_button(turn, button_id: str | None) -> list | None:
	"""The replies to an approval button; None when the id is not an approval's."""
	if not message.is_ours(button_id):
		return None
	parsed = message.parse(button_id)
	name = parsed[0] if parsed else None
	if not name or not frappe.db.exists(APPROVAL, name):
		return _refused(turn, {"button": (button_id or "")[:140]}, "not an approval button this app sent")
	approval = frappe.get_doc(APPROVAL, name, for_update=True)  # two presses at once: one waits here
	_, token, index = parsed
	actions = offers.actions_of(approval)
	arguments = _arguments(approval, actions[index] if index < len(actions) else None)
	if approval.contact != turn.contact.name or approval.run_as != turn.contact.user:
		return _refused(
			turn, arguments, f"sent to {approval.contact} ({approval.run_as}), pressed by another contact"
		)
	# Used with no press recorded: the worker of this very press died before it finished, and what
	# it did was rolled back with it (the token is cleared only together with the outcome)
	interrupted = approval.status == "Used" and not approval.command
	if approval.status != "Open" and not interrupted:
		_refused(turn, arguments, f"already {approval.status}", answer=False)
		return [outgoing.text(_already_done(approval, turn.language))]
	if not confirmation.bound(approval, turn, token) or index >= len(actions):
		return _refused(turn, arguments, "token or action does not match what was sent (forged)")

	approval.db_set("status", "Used")
	frappe.db.commit()  # spent for good before anything runs
	started = time.monotonic()
	record = local.record(turn, command(), arguments, "Running", started_at=now_datetime())
	approval.db_set({"command": record.name, "confirmation_token": None})
	outcome = local.execute(
		command(),
		arguments,
		turn.contact.user,
		call=lambda **kw: act.apply(**kw, modified=approval.document_modified),
	)
	local.finish(record, outcome, started)
	if outcome.ok:
		approval.db_set({"done_by": turn.contact.user, "outcome_state": outcome.result.data["to_state"]})
		return [outgoing.text(outcome.result.text)]
	replies = [outgoing.text(_failure(outcome, turn.language))]
	return replies + offer_again(turn, approval)


def offer_again(turn, approval) -> list:
	"""After a refused press: the document as it is now, with fresh buttons if the approver may
	still act on it (a new Chatbot Approval for this version), else nothing more."""
	try:
		with local.as_user(turn.contact.user):
			doc = act.document(approval.reference_doctype, approval.reference_name)
			actions = [t.action for t in act.open_transitions(doc)]
	except (frappe.PermissionError, frappe.DoesNotExistError, frappe.ValidationError):
		return []
	if not actions:
		return []
	fresh = offers.create(
		turn.contact,
		doc,
		get_doc_workflow_state(doc),
		actions,
		approval.requested_by,
		approval.workflow_action,
	)
	return [offers.buttons_body(fresh, doc, turn.language)]


def _arguments(approval, action: str | None) -> dict:
	return {
		"doctype": approval.reference_doctype,
		"name": approval.reference_name,
		"action": action,
		"state": approval.workflow_state,
	}


def _refused(turn, arguments: dict, reason: str, answer: bool = True) -> list | None:
	"""A press that does nothing, recorded as a failed command with the reason."""
	local.record(
		turn,
		command(),
		arguments,
		"Failed",
		error=f"refused: {reason}",
		finished_at=now_datetime(),
		preview=json.dumps({"button": turn.message.interactive_id}, ensure_ascii=False)[:500],
	)
	return [outgoing.text(texts.text("confirmation_invalid", turn.language))] if answer else None


def _already_done(approval, language: str) -> str:
	"""What a spent button answers: who did what, and the state the document is in."""
	state = approval.outcome_state or _state_now(approval)
	with i18n.speaking(language):
		values = {
			"doctype": _(approval.reference_doctype),
			"name": approval.reference_name,
			"state": _(state) if state else "—",
		}
		if approval.done_by:
			return texts.text(
				"approval_already_done", language, user=summary.full_name(approval.done_by), **values
			)
		return texts.text("approval_buttons_spent", language, **values)


def _state_now(approval) -> str | None:
	workflow = get_workflow_name(approval.reference_doctype)
	if not workflow:
		return None
	field = get_workflow_state_field(workflow)
	return frappe.db.get_value(approval.reference_doctype, approval.reference_name, field)


def _failure(outcome, language: str) -> str:
	if outcome.refused:
		return texts.text("not_permitted", language)
	return outcome.error
