"""RQ entry point: tell the approvers of a document's next step (approvals/offers.py).

The approvers' messages are committed, then sent by this same job (outbox.send_inline, as the
processing job sends its replies): one job per step instead of one more per approver, since every
RQ job costs a fork (benchmarks/approvals.py). A send that fails here is handed to a send job.
"""

from __future__ import annotations

import frappe

from whatsapp_chatbot import session_user
from whatsapp_chatbot.approvals import offers
from whatsapp_chatbot.channel import outbox


def notify_approvers(workflow_action: str, requested_by: str | None = None) -> None:
	# bookkeeping as Administrator; each approver's PDF and checks run as that approver
	session_user.switch_user("Administrator")
	frappe.flags.whatsapp_chatbot_send_inline = True
	try:
		contacts = offers.notify(workflow_action, requested_by)
		frappe.db.commit()  # the approvals and their messages exist before any Graph call
	finally:
		frappe.flags.whatsapp_chatbot_send_inline = False
	for contact in contacts:
		outbox.send_inline(contact)
