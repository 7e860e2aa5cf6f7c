"""Figures for the workspace's number cards and the Chatbot Usage report.

Tokens and cost are counted on incoming messages: the interpreter records a turn's usage on the
message that started it (the command and the conversation carry copies, so summing those too
would count a turn twice). Users are the message's user, else its contact's user (outgoing rows
name only the contact).
"""

from __future__ import annotations

import frappe
from frappe.utils import add_days, get_first_day, getdate, today

MESSAGE = "Chatbot Message"
COMMAND = "Chatbot Command"
KINDS = ("Read", "Write", "Long")
# report columns for command statuses; the rest (Proposed, Queued, Running) count as "open"
STATUSES = ("Succeeded", "Failed", "Cancelled", "Expired", "Awaiting Confirmation")


def failures_today() -> int:
	"""Failed messages (either way) and failed commands created today."""
	since = getdate(today())
	return frappe.db.count(MESSAGE, {"status": "Failed", "creation": (">=", since)}) + frappe.db.count(
		COMMAND, {"status": "Failed", "creation": (">=", since)}
	)


def tokens_this_month() -> int:
	message = frappe.qb.DocType(MESSAGE)
	total = (
		frappe.qb.from_(message)
		.select(
			frappe.query_builder.functions.Sum(message.prompt_tokens + message.completion_tokens),
		)
		.where(message.creation >= get_first_day(today()))
		.run()
	)
	return int(total[0][0] or 0)


def usage_rows(from_date, to_date, user: str | None = None) -> list[dict]:
	"""One row per user and day with messages, commands by kind and status, tokens, cost, failures."""
	start, end = getdate(from_date), add_days(getdate(to_date), 1)
	rows: dict[tuple, dict] = {}

	def row(day, who) -> dict:
		key = (str(day), who or "")
		if key not in rows:
			rows[key] = {
				"date": day,
				"user": who,
				"incoming": 0,
				"outgoing": 0,
				"commands": 0,
				**{kind.lower(): 0 for kind in KINDS},
				**{_key(status): 0 for status in STATUSES},
				"open": 0,
				"prompt_tokens": 0,
				"completion_tokens": 0,
				"cost": 0.0,
				"failures": 0,
			}
		return rows[key]

	user_condition = "and coalesce(m.user, c.user) = %(user)s" if user else ""
	for r in frappe.db.sql(
		f"""select date(m.creation) day, coalesce(m.user, c.user) who, m.direction,
			count(*) n, sum(m.status = 'Failed') failed,
			sum(m.prompt_tokens) prompt, sum(m.completion_tokens) completion, sum(m.cost) cost
		from `tabChatbot Message` m left join `tabChatbot Contact` c on c.name = m.contact
		where m.creation >= %(start)s and m.creation < %(end)s {user_condition}
		group by day, who, m.direction""",
		{"start": start, "end": end, "user": user},
		as_dict=True,
	):
		target = row(r.day, r.who)
		target["incoming" if r.direction == "Incoming" else "outgoing"] += r.n
		target["failures"] += int(r.failed or 0)
		target["prompt_tokens"] += int(r.prompt or 0)
		target["completion_tokens"] += int(r.completion or 0)
		target["cost"] += float(r.cost or 0)

	user_condition = "and run_as = %(user)s" if user else ""
	for r in frappe.db.sql(
		f"""select date(creation) day, run_as who, kind, status, count(*) n
		from `tabChatbot Command`
		where creation >= %(start)s and creation < %(end)s {user_condition}
		group by day, who, kind, status""",
		{"start": start, "end": end, "user": user},
		as_dict=True,
	):
		target = row(r.day, r.who)
		target["commands"] += r.n
		if r.kind in KINDS:
			target[r.kind.lower()] += r.n
		target[_key(r.status) if r.status in STATUSES else "open"] += r.n
		if r.status == "Failed":
			target["failures"] += r.n
	return sorted(rows.values(), key=lambda r: (str(r["date"]), r["user"] or ""))


def _key(status: str) -> str:
	return frappe.scrub(status)
