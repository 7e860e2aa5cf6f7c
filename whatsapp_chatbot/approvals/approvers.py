"""Who hears about a step, decided as Frappe's own Workflow Action decides whom to email.

frappe/workflow/doctype/workflow_action/workflow_action.py (`get_users_next_action_data`) takes
the next possible transitions of the document's state (conditions met, optional states skipped),
the enabled users holding each transition's allowed role, keeps those with approval access
(`has_approval_access`: not the document's owner unless the transition allows self-approval) who
may read the document (user permissions included), and leaves the owner out unless the
transition says `send_email_to_creator`. The same predicates are applied here, to the users who
have a WhatsApp contact only: a role with five hundred users and two phones costs two checks.
"""

from __future__ import annotations

import frappe
from frappe.model.workflow import get_workflow_name, has_approval_access
from frappe.utils.user import get_users_with_role
from frappe.workflow.doctype.workflow_action.workflow_action import (
	get_doc_workflow_state,
	get_next_possible_transitions,
)

from whatsapp_chatbot import permissions

CONTACT = "Chatbot Contact"


def next_actions(doc) -> dict[str, tuple[str, list[str]]]:
	"""{user: (contact, [action, …])} for the users with a contact who may take the document's
	next step, actions in the order of the Workflow's transitions (as the Desk shows them)."""
	workflow = get_workflow_name(doc.doctype)
	if not workflow:
		return {}
	transitions = get_next_possible_transitions(workflow, get_doc_workflow_state(doc), doc)
	if not transitions:
		return {}
	reachable = contacts_by_user()
	creator_too = _send_to_creator(workflow)
	found: dict[str, list[str]] = {}
	for transition in transitions:
		for user in get_users_with_role(transition.allowed):
			if user not in reachable or not has_approval_access(user, doc, transition):
				continue
			if user == doc.owner and not creator_too.get((transition.state, transition.action)):
				continue
			if not frappe.has_permission(doc.doctype, "read", doc, user=user):
				continue
			actions = found.setdefault(user, [])
			if transition.action not in actions:
				actions.append(transition.action)
	order = [t.action for t in frappe.get_cached_doc("Workflow", workflow).transitions]
	return {
		user: (reachable[user], sorted(actions, key=order.index))
		for user, actions in found.items()
		if permissions.user_may_chat(user)
	}


def _send_to_creator(workflow: str) -> dict[tuple[str, str], int]:
	"""The transitions' `send_email_to_creator` (Frappe's own query leaves the field out)."""
	rows = frappe.get_all(
		"Workflow Transition",
		filters={"parent": workflow, "parenttype": "Workflow"},
		fields=["state", "action", "send_email_to_creator"],
	)
	return {(row.state, row.action): row.send_email_to_creator for row in rows}


def contacts_by_user() -> dict[str, str]:
	"""{user: contact} for enabled contacts linked to a User: the one that wrote last, when a
	person has two numbers."""
	rows = frappe.get_all(
		CONTACT,
		filters={"enabled": 1, "user": ("is", "set")},
		fields=["name", "user"],
		order_by="last_inbound_at desc",
	)
	found: dict[str, str] = {}
	for row in rows:
		found.setdefault(row.user, row.name)
	return found
