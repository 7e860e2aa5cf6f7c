"""What waits for a user's approval, read as that user (the session user).

Frappe's own list: the Open Workflow Actions the user's roles may act on (frappe.get_list applies
Workflow Action's permission query, as the Desk's Workflow Action list does), each document read
if the user may read it and kept if `get_transitions` still offers them an action there.
"""

from __future__ import annotations

from dataclasses import dataclass

import frappe
from frappe.workflow.doctype.workflow_action.workflow_action import get_doc_workflow_state

from whatsapp_chatbot.approvals import act

SCANNED = 200  # open Workflow Actions looked at, newest first
SHOWN = 15


@dataclass
class Pending:
	doc: object
	state: str
	actions: list[str]


def for_session_user(limit: int = SHOWN) -> list[Pending]:
	rows = frappe.get_list(
		"Workflow Action",
		filters={"status": "Open"},
		fields=["reference_doctype", "reference_name", "workflow_state"],
		order_by="creation desc",
		limit_page_length=SCANNED,
	)
	found, seen = [], set()
	for row in rows:
		key = (row.reference_doctype, row.reference_name)
		if key in seen:
			continue
		seen.add(key)
		if not frappe.db.exists(*key) or not frappe.has_permission(key[0], "read", key[1]):
			continue
		doc = frappe.get_doc(*key)
		state = get_doc_workflow_state(doc)
		if state != row.workflow_state:
			continue
		actions = [t.action for t in act.open_transitions(doc)]
		if actions:
			found.append(Pending(doc, state, actions))
			if len(found) >= limit:
				break
	return found
