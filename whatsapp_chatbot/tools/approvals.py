"""Workflow approvals asked for in words: "¿qué tengo pendiente de aprobar?", "aprueba la OC-0042".

`pending_approvals` lists what waits for the user (approvals/pending.py); `apply_workflow_action`
is a write like any other: previewed as the user and run only on their Confirm, through the same
path as an approval button (approvals/act.py).
"""

from __future__ import annotations

from frappe import _

from whatsapp_chatbot.approvals import act, pending, summary
from whatsapp_chatbot.tools.registry import WRITE, Result, command
from whatsapp_chatbot.tools.schema import Param


@command("pending_approvals", "Documents waiting for the user's workflow action (approve, reject…).")
def pending_approvals() -> Result:
	waiting = pending.for_session_user()
	if not waiting:
		return Result(_("Nothing is waiting for your approval."), data=[])
	lines = [_("Waiting for you ({count}):").format(count=len(waiting))]
	rows = []
	for item in waiting:
		read = summary.of(item.doc, item.state)
		details = "".join(f" · {part}" for part in (read.party, read.amount) if part)
		actions = " / ".join(_(action) for action in item.actions)
		lines.append(f"• {read.doctype} *{item.doc.name}*{details} ({read.state}): {actions}")
		rows.append(
			{
				"doctype": item.doc.doctype,
				"name": item.doc.name,
				"state": item.state,
				"party": read.party,
				"total": read.amount,
				"actions": item.actions,
			}
		)
	return Result("\n".join(lines), data=rows)


@command(
	"apply_workflow_action",
	"Take a workflow action on a document (as listed by pending_approvals).",
	{
		"doctype": Param("string", ""),
		"name": Param("string", ""),
		"action": Param("string", "e.g. Approve"),
		"state": Param("string", "its state as listed", required=False),
	},
	kind=WRITE,
	preview=act.preview,
)
def apply_workflow_action(doctype, name, action, state=None) -> Result:
	return act.apply(doctype, name, action, state)
