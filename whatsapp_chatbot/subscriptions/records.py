"""Chatbot Subscriptions as records: what may be subscribed, how one is made, listed, found and
stopped, and the rules a row must keep however it is saved (WhatsApp, the Desk, REST).

A subscription is a read command (a report, a chart, an export) with its arguments, run by itself
for one contact on a schedule, as that contact's User (subscriptions/due.py runs them). Its period
stays relative ("yesterday" on each run, subscriptions/relative.py) and fixed dates are refused.
Rows are written by the app for the chat user (who has no Desk permission on them: a chat user
changing the row's User or command over REST would be running commands as someone else), and by
managers in the Desk, who may set one up only for a User they could map a number to.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

import frappe
from frappe.utils import getdate, now_datetime

from whatsapp_chatbot import i18n, permissions, texts
from whatsapp_chatbot.channel import contacts
from whatsapp_chatbot.subscriptions import relative, schedule
from whatsapp_chatbot.tools import catalogue
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import LONG, READ

DOCTYPE = "Chatbot Subscription"
OWN_COMMANDS = frozenset({"subscribe", "unsubscribe", "subscriptions"})
WHAT_FIELDS = ("user", "contact", "command", "arguments", "period")


@dataclass
class Plan:
	"""A subscription as asked for: the command, its stored arguments (no dates), the period's
	keyword, and when."""

	command: str
	arguments: dict
	period: str | None
	frequency: str
	send_at: object  # "08:00", a time, or MariaDB's timedelta
	weekday: str | None = None
	day_of_month: int | None = None
	title: str | None = None  # what arrives, in the user's words ("Ventas de ayer")

	@classmethod
	def of(cls, doc) -> Plan:
		return cls(
			command=doc.command,
			arguments=parse_arguments(doc.arguments),
			period=relative.keyword(doc.period),
			frequency=doc.frequency,
			send_at=doc.send_at,
			weekday=doc.weekday or None,
			day_of_month=doc.day_of_month or None,
		)

	def next_run(self, after=None):
		return schedule.next_run(
			self.frequency, self.send_at, after or now_datetime(), self.weekday, self.day_of_month
		)


def parse_arguments(value) -> dict:
	if isinstance(value, dict):
		return value
	try:
		parsed = json.loads(value or "{}")
	except ValueError as error:
		raise CommandError(texts.text("subscribe_bad_arguments", None, error=str(error))) from None
	if not isinstance(parsed, dict):
		raise CommandError(texts.text("subscribe_bad_arguments", None, error=type(parsed).__name__))
	return parsed


def subscribable(command) -> bool:
	"""Commands that only read may run by themselves; a write always waits for a person's Confirm,
	and a command on a file the user just sent has no file on the next run."""
	return (
		command.kind in (READ, LONG)
		and not command.needs_confirmation
		and command.name not in OWN_COMMANDS
		and not getattr(command, "uses_media", False)
	)


def checked(user: str, contact: str | None, plan: Plan):
	"""The command as `user` may run it now, and the arguments a run today would get; CommandError
	(in the reader's words) when it cannot be a subscription."""
	command = catalogue.find(plan.command, user, contact)
	if command is None:
		raise CommandError(texts.text("subscribe_unknown", None, command=plan.command))
	if not subscribable(command):
		raise CommandError(texts.text("subscribe_writes", None, command=plan.command))
	fixed = relative.fixed_dates(plan.arguments)
	if fixed:
		raise CommandError(texts.text("subscribe_fixed_dates", None, dates=", ".join(sorted(set(fixed)))))
	if plan.period and not relative.takes_period(command.params):
		raise CommandError(texts.text("subscribe_no_period", None, command=plan.command))
	try:
		schedule.check(plan.frequency, plan.weekday, plan.day_of_month)
		schedule.parse_time(plan.send_at)
	except schedule.ScheduleError as error:
		raise CommandError(texts.text(f"subscribe_{error.key}", None)) from None
	arguments, errors = command.check(run_arguments(command, plan))
	if errors:
		raise CommandError(texts.text("command_failed", None, error="; ".join(errors)))
	return command, arguments


def run_arguments(command, plan: Plan, today=None) -> dict:
	"""The stored arguments with the period's dates for a run on `today`."""
	return relative.with_period(plan.arguments, command.params, plan.period, getdate(today))


# -- words -------------------------------------------------------------------------------------------


def title_for(plan: Plan, command, language: str | None) -> str:
	"""'Ventas de ayer, cada día a las 8:00': what arrives (the user's words, or the command's
	/help line and the period) and when, in the contact's language."""
	what = (plan.title or "").strip()
	if not what:
		what = texts.command_help(command.name, command.description, language)
		if plan.period:
			period = texts.text(f"period_{plan.period}", language)
			what = texts.text("subscription_what", language, what=what, period=period)
	return f"{what}, {when(plan, language)}"  # no words of its own: the same in every language


def when(plan: Plan, language: str | None) -> str:
	time = schedule.clock(plan.send_at)
	key = f"schedule_{plan.frequency.lower()}"
	weekday = day_name(plan.weekday, language) if plan.weekday else ""
	return texts.text(key, language, time=time, weekday=weekday, day=plan.day_of_month or "")


def day_name(weekday: str, language: str | None) -> str:
	"""'lunes', 'segunda-feira': the weekday in the bot's language for this reader (Babel's
	locale data, as the charts' month names)."""
	from babel.dates import get_day_names

	code = i18n.bot_language(language or getattr(frappe.local, "lang", None))
	try:
		return get_day_names("wide", locale=code)[schedule.DAYS.index(weekday)]
	except Exception:  # a language Babel does not know: the bot speaks English to it anyway
		return weekday


def when_next(value) -> str:
	"""'07-12-2026 8:00' in the site's date format."""
	return f"{i18n.date(value)} {schedule.clock(value.time())}" if value else ""


# -- making, listing, stopping -----------------------------------------------------------------------


def asking_contact(required: bool = True):
	"""The contact whose turn this is (pipeline.answer names it): a subscription is delivered to the
	phone that asked for it. It must be the session user's own."""
	name = frappe.flags.get("whatsapp_chatbot_contact")
	contact = (
		frappe.get_doc(contacts.CONTACT, name) if name and frappe.db.exists(contacts.CONTACT, name) else None
	)
	if contact is not None and contact.user == frappe.session.user:
		return contact
	if required:
		raise CommandError(texts.text("subscribe_no_contact", None))
	return None


def create(contact, plan: Plan, language: str | None):
	"""A new subscription of the contact's User (checked as that User now)."""
	command, _arguments = checked(contact.user, contact.name, plan)
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"contact": contact.name,
			"user": contact.user,
			"number": next_number(contact.user),
			"enabled": 1,
			"title": title_for(plan, command, language),
			"command": plan.command,
			"arguments": json.dumps(plan.arguments, ensure_ascii=False, sort_keys=True),
			"period": relative.LABELS.get(plan.period, "") if plan.period else "",
			"frequency": plan.frequency,
			"weekday": plan.weekday,
			"day_of_month": plan.day_of_month,
			"send_at": str(schedule.parse_time(plan.send_at)),
		}
	)
	# the chat user has no Desk permission on subscriptions (see the module's docstring): the row is
	# the app's, made after the user's own Confirm, and validated like any other (ChatbotSubscription)
	return doc.insert(ignore_permissions=True)


def next_number(user: str) -> int:
	numbers = frappe.get_all(DOCTYPE, filters={"user": user}, pluck="number")
	return max([n or 0 for n in numbers], default=0) + 1


def of_user(user: str) -> list:
	return frappe.get_all(
		DOCTYPE,
		filters={"user": user},
		fields=["name", "number", "title", "enabled", "paused_reason", "next_run_at", "command"],
		order_by="number asc, creation asc",
	)


def matching(user: str, which: str) -> list:
	"""The user's subscriptions that `which` names: its number, or words of its title or command."""
	which = (which or "").strip().lstrip("#")
	rows = of_user(user)
	if which.isdigit():
		return [r for r in rows if r.number == int(which)]
	words = _plain(which).split()
	return [r for r in rows if words and all(w in _plain(f"{r.title} {r.command}") for w in words)]


def listing(user: str, language: str | None) -> str:
	"""What /subscriptions answers: the user's subscriptions, numbered, with their next run."""
	rows = of_user(user)
	if not rows:
		return texts.text("subscriptions_none", language)
	lines = [texts.text("subscriptions_header", language)]
	for row in rows:
		if row.enabled:
			next_run = when_next(row.next_run_at)
			lines.append(
				texts.text("subscriptions_line", language, number=row.number, title=row.title, next=next_run)
			)
		else:
			lines.append(texts.text("subscriptions_paused", language, number=row.number, title=row.title))
	lines.append(texts.text("subscriptions_footer", language))
	return "\n".join(lines)


def stop(name: str) -> None:
	frappe.delete_doc(DOCTYPE, name, ignore_permissions=True)


def _plain(text: str) -> str:
	decomposed = unicodedata.normalize("NFKD", text or "")
	return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# -- the rules every save keeps (the DocType's controller calls this) ---------------------------------


def validate(doc) -> None:
	before = doc.get_doc_before_save()
	contact_user = frappe.db.get_value(contacts.CONTACT, doc.contact, "user")
	if not doc.user:
		doc.user = contact_user
	if doc.user != contact_user:
		# its data would go to whoever holds that phone now
		frappe.throw(
			texts.text("subscription_other_user", None, contact=doc.contact, user=contact_user or "-"),
			frappe.ValidationError,
		)
	changed = before is None or any(before.get(f) != doc.get(f) for f in WHAT_FIELDS)
	if changed and not permissions.may_subscribe_for(doc.user):
		frappe.throw(texts.text("subscription_not_yours", None, user=doc.user), frappe.PermissionError)
	try:
		plan = Plan.of(doc)
		if changed:
			checked(doc.user, doc.contact, plan)
	except CommandError as error:
		frappe.throw(str(error))
	doc.number = doc.number or next_number(doc.user)
	doc.arguments = json.dumps(plan.arguments, ensure_ascii=False, sort_keys=True)
	_schedule(doc, before, plan)


def _when_key(doc) -> tuple:
	"""The schedule as compared: a Time reads back from MariaDB as a timedelta, the form sends text."""
	try:
		at = schedule.parse_time(doc.send_at)
	except schedule.ScheduleError:
		at = doc.send_at
	return (doc.frequency, doc.weekday or None, int(doc.day_of_month or 0), at)


def _schedule(doc, before, plan: Plan) -> None:
	"""Next run from now when it is new, rescheduled or resumed; a pause says who paused it."""
	rescheduled = before is None or _when_key(before) != _when_key(doc)
	resumed = before is not None and doc.enabled and not before.enabled
	if rescheduled or resumed or not doc.next_run_at:
		doc.next_run_at = plan.next_run()
	language = contacts.language_of(frappe.get_doc(contacts.CONTACT, doc.contact))  # the title's language
	if rescheduled and before is not None and before.title:
		old = when(Plan.of(before), language)
		doc.title = (doc.title or "").replace(old, when(plan, language))
	if resumed:
		doc.update({"paused_reason": None, "failures": 0, "told_not_permitted": 0, "outcome_pending": 0})
	if before is not None and before.enabled and not doc.enabled and not doc.paused_reason:
		doc.paused_reason = f"paused by {frappe.session.user}"
	if not doc.title:
		command = catalogue.find(doc.command, doc.user, doc.contact)
		if command:
			doc.title = title_for(plan, command, language)
