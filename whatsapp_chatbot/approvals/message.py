"""What an approver reads and presses. Pure module: no frappe import.

An approver gets the document's summary and one button per Workflow action they may take (the
Workflow's own action names as titles; more than three become a list). Each button's id names a
Chatbot Approval (one approver, one step of one document), the random token stored with it, and
the action's position in it: `wf:<approval>:<token>:<index>`. The id says which record to look
at, nothing more; what a press does is decided from that record, checked again as the approver
(approvals/press.py).

Outside the 24-hour window only a template may reach the approver. Meta fixes a template's button
texts when it approves the template, so the app's approval template can carry exactly two quick
replies, Approve and Reject: it is used when the step's actions are exactly those two (in any of
the app's languages). Any other set of actions (three, four, "Send back"…) cannot be put on a
fixed template; that message is held and the one "messages waiting" template goes out instead,
whose quick reply opens the window and brings the buttons (channel/held.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel import outgoing

PREFIX = "wf:"
BUTTON_ID = re.compile(r"^wf:(?P<approval>[a-z0-9]{1,40}):(?P<token>[a-z0-9]{1,64}):(?P<index>\d{1,2})$")
# what the approval template's two quick replies mean, whatever the Workflow calls them
APPROVE_WORDS = frozenset({"approve", "aprobar", "aprovar", "approved", "aprobado", "aprovado"})
REJECT_WORDS = frozenset({"reject", "rechazar", "rejeitar", "rejected", "rechazado", "rejeitado"})
TEMPLATE_VALUE_LIMIT = 200  # a parameter of the template's body: one line, short
EMPTY = "—"  # Meta refuses an empty parameter


@dataclass
class Summary:
	"""The document as the approver reads it, already in their language and number format."""

	doctype: str  # translated label
	name: str
	state: str  # translated
	party: str = ""
	amount: str = ""
	requested_by: str = ""
	lines: list[str] = field(default_factory=list)  # "• 200 x Tuerca M8 = $ 80.00"
	more_lines: int = 0


def button_id(approval: str, token: str, index: int) -> str:
	return f"{PREFIX}{approval}:{token}:{index}"


def is_ours(button_id_: str | None) -> bool:
	return (button_id_ or "").startswith(PREFIX)


def parse(button_id_: str | None) -> tuple[str, str, int] | None:
	"""(approval, token, index) of a well-formed id, else None (a forged or mangled one)."""
	match = BUTTON_ID.match(button_id_ or "")
	if not match:
		return None
	return match["approval"], match["token"], int(match["index"])


def body(summary: Summary, language: str, limit: int = outgoing.INTERACTIVE_BODY_LIMIT) -> str:
	"""The message: what it is, for whom, how much, a few lines, who sent it; cut to `limit`."""
	head = [
		texts.text(
			"approval_request", language, doctype=summary.doctype, name=summary.name, state=summary.state
		)
	]
	if summary.party:
		head.append(summary.party)
	if summary.amount:
		head.append(texts.text("approval_total", language, amount=summary.amount))
	tail = []
	if summary.more_lines:
		tail.append(texts.text("approval_more_lines", language, count=summary.more_lines))
	if summary.requested_by:
		tail.append(texts.text("approval_requested_by", language, user=summary.requested_by))
	lines = list(summary.lines)
	while True:
		text = "\n".join(head + lines + tail)
		if len(text) <= limit or not lines:
			return text if len(text) <= limit else text[: limit - 1] + "…"
		lines.pop()  # the totals and who asked matter more than the third line


def titles(names: list[str], limit: int = outgoing.BUTTON_TITLE_LIMIT) -> list[str]:
	"""Button titles from the actions' (translated) names: cut to Meta's limit, unique."""
	result: list[str] = []
	for name in names:
		title = name.strip() or "?"
		if len(title) > limit:
			title = title[: limit - 1].rstrip() + "…"
		base, n = title, 2
		while title in result:
			suffix = f" {n}"
			title = base[: limit - len(suffix)] + suffix
			n += 1
		result.append(title)
	return result


def actions_message(summary: Summary, ids: list[str], names: list[str], language: str) -> dict:
	"""Reply buttons for up to three actions, a list for more (at most ten rows)."""
	text = body(summary, language)
	if len(ids) <= outgoing.BUTTON_LIMIT:
		return outgoing.buttons(text, list(zip(ids, titles(names), strict=True)))
	rows = titles(names, outgoing.ROW_TITLE_LIMIT)
	section = summary.name[: outgoing.ROW_TITLE_LIMIT]
	choices = [(row_id, title, None) for row_id, title in zip(ids, rows, strict=True)]
	return outgoing.choice_list(
		text,
		texts.text("approval_choose", language)[: outgoing.BUTTON_TITLE_LIMIT],
		[(section, choices[: outgoing.LIST_ROWS_LIMIT])],
	)


def _plain(word: str) -> str:
	decomposed = unicodedata.normalize("NFKD", word or "")
	return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


def approve_reject(actions: list[str]) -> tuple[int, int] | None:
	"""Positions of the Approve and Reject actions when the step's actions are exactly those two
	(so the approval template's fixed quick replies say what they do), else None."""
	if len(actions) != 2:
		return None
	words = [_plain(action) for action in actions]
	approve = [i for i, word in enumerate(words) if word in APPROVE_WORDS]
	reject = [i for i, word in enumerate(words) if word in REJECT_WORDS]
	if len(approve) != 1 or len(reject) != 1:
		return None
	return approve[0], reject[0]


def template_value(text: str | None) -> str:
	"""A body parameter Meta accepts: one line, no runs of spaces, not empty, short."""
	value = re.sub(r"\s+", " ", text or "").strip()
	if len(value) > TEMPLATE_VALUE_LIMIT:
		value = value[: TEMPLATE_VALUE_LIMIT - 1].rstrip() + "…"
	return value or EMPTY


def template_params(summary: Summary, approve_id: str, reject_id: str) -> dict:
	"""The approval template's parameters (named body; quick replies 0 = Approve, 1 = Reject)."""
	return {
		"body": {
			"doctype": template_value(summary.doctype),
			"name": template_value(summary.name),
			"party": template_value(summary.party),
			"amount": template_value(summary.amount),
			"requested_by": template_value(summary.requested_by),
		},
		"buttons": {0: approve_id, 1: reject_id},
	}
