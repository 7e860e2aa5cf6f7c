"""Reports that arrive by themselves: subscribe (the model proposes one, the user confirms it like
any write) and stop one (`/unsubscribe N`, "cancela la suscripción de ventas": also confirmed,
showing which one stops). `/subscriptions` lists them without the model (interpreter/shortcuts.py,
records.listing): one tool less in every prompt.

What may be subscribed, the schedule and the relative period are subscriptions/records.py's; these
handlers run as the contact's User (the dispatcher's rule) and touch only that User's subscriptions.
A subscription is delivered to the phone that asked for it: the turn's contact, which the pipeline
names for the handler (records.asking_contact), never an argument the model could set.
"""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from whatsapp_chatbot import texts
from whatsapp_chatbot.subscriptions import records, relative, schedule
from whatsapp_chatbot.subscriptions.records import Plan
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import WRITE, Result, command
from whatsapp_chatbot.tools.schema import Param

# "every" folds the frequency and the weekday into one word: fewer tokens in every prompt
EVERY = {"day": schedule.DAILY, "weekday": schedule.WEEKDAYS, "month": schedule.MONTHLY}


def _plan(command, arguments, every, time, period=None, day=None, title=None):
	weekly = every in schedule.DAYS
	return Plan(
		command=command,
		arguments=records.parse_arguments(arguments),
		period=period,
		frequency=schedule.WEEKLY if weekly else EVERY.get(every, every),
		send_at=time,
		weekday=every if weekly else None,
		day_of_month=day,
		title=title,
	)


def _preview(**arguments) -> str:
	contact = records.asking_contact(required=False)
	plan = _plan(**arguments)
	found, _arguments = records.checked(frappe.session.user, contact.name if contact else None, plan)
	return texts.text(
		"subscribe_preview",
		None,
		title=records.title_for(plan, found, None),
		first=records.when_next(plan.next_run()),
	)


@command(
	"subscribe",
	"Send a read tool's result by itself on a schedule.",
	{
		"command": Param("string", "tool"),
		"arguments": Param("string", "JSON, no dates"),
		"period": Param("string", "dates of each run", required=False, enum=list(relative.PERIODS)),
		"every": Param("string", "weekday: Mon-Fri", enum=[*EVERY, *schedule.DAYS]),
		"day": Param("integer", "of month", required=False, minimum=1, maximum=31),
		"time": Param("string", "HH:MM"),
		"title": Param("string", "user's words", required=False, max_length=80),
	},
	kind=WRITE,
	preview=_preview,
)
def subscribe(command, arguments, every, time, period=None, day=None, title=None) -> Result:
	contact = records.asking_contact()
	doc = records.create(contact, _plan(command, arguments, every, time, period, day, title), None)
	return Result(
		texts.text("subscribed", None, title=doc.title, number=doc.number),
		data={"number": doc.number, "title": doc.title, "next_run": str(doc.next_run_at)},
	)


def _one(subscription: str):
	"""The one subscription of the user that `subscription` names, or the question back (with the
	user's list, so the model can ask which one)."""
	rows = records.matching(frappe.session.user, subscription)
	if len(rows) == 1:
		return rows[0]
	if rows:
		raise CommandError(texts.text("unsubscribe_which", None, text=subscription, choices=_choices(rows)))
	mine = records.of_user(frappe.session.user)
	if not mine:
		raise CommandError(texts.text("subscriptions_none", None))
	raise CommandError(texts.text("unsubscribe_none", None, text=subscription, choices=_choices(mine)))


def _choices(rows) -> str:
	return "\n".join(f"{row.number}. {row.title}" for row in rows)


@command(
	"unsubscribe",
	"Stop a subscription.",
	{"subscription": Param("string", "number or title words")},
	kind=WRITE,
	preview=lambda subscription: texts.text("unsubscribe_preview", None, title=_one(subscription).title),
)
def unsubscribe(subscription) -> Result:
	row = _one(subscription)
	records.stop(row.name)
	return Result(
		texts.text("unsubscribed", None, title=row.title),
		data={"stopped": row.number, "at": str(now_datetime())},
	)
