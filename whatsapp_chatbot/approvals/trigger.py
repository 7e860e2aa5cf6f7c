"""Where approvals start: Frappe's own Workflow Action rows.

Frappe inserts a Workflow Action (frappe/workflow/doctype/workflow_action/workflow_action.py,
`process_workflow_actions`, from its doc_events on every save of a document with an active
Workflow) each time a document enters a state that has next transitions, naming the roles that may
take them. Its after_insert enqueues the notification job after the commit: the save that moved
the document pays for one enqueue, documents without a Workflow for nothing, and an approver's
message never waits for (nor fails) the save.
"""

from __future__ import annotations

import frappe

from whatsapp_chatbot.jobs.queues import turn_queue

JOB = "whatsapp_chatbot.jobs.notify_approvers.notify_approvers"


def on_workflow_action(doc, method=None) -> None:
	if doc.status != "Open" or not frappe.db.get_single_value("WhatsApp Chatbot Settings", "enabled"):
		return
	frappe.enqueue(
		JOB,
		queue=turn_queue(),
		workflow_action=doc.name,
		requested_by=frappe.session.user,  # who moved the document into this state
		job_id=f"whatsapp_chatbot:approvals:{doc.name}",
		deduplicate=True,
		enqueue_after_commit=True,
	)
