"""RQ entry point: tell the approvers of a document's next step (approvals/offers.py)."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.approvals import offers


def notify_approvers(workflow_action: str, requested_by: str | None = None) -> None:
	# bookkeeping as Administrator; each approver's PDF and checks run as that approver
	frappe.set_user("Administrator")
	offers.notify(workflow_action, requested_by)
