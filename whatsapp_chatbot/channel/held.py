"""Held messages: what the outbox keeps while Meta's 24-hour window is closed, instead of losing it.

Meta accepts only templates once 24 hours have passed since the contact last wrote (PROTOCOLS.md
A6). A message that is not a template is then set Held, in order, its text and body kept; and ONE
"messages waiting" template (Settings `waiting_template`) is queued for the contact, at most one
until they write again: its outbox key names the contact and the time they last wrote, so holding
more messages, a retried job or a second worker finds the same row. Its quick-reply button carries
`wcb-release:<contact>`.

Whatever the contact sends next (a text, the button, anything) opens the window: the processing
job releases the held messages (Held → Queued) in the same commit that records the contact's new
`last_inbound_at`, before the answer is queued, so they go out first, in their order (the outbox
drains by creation). A worker killed after that commit leaves Queued rows the sweep sends; Held
rows are never sent by the sweep. Templates (the waiting template itself, notifications) and the
terminal chat are never held.
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import get_datetime

from whatsapp_chatbot.channel import contacts
from whatsapp_chatbot.channel import template_message as tm
from whatsapp_chatbot.channel.errors import OUTSIDE_WINDOW_CODE

MESSAGE = "Chatbot Message"
TEMPLATE = "Chatbot Template"
RELEASE_PREFIX = "wcb-release:"
WAITING_PREFIX = "wcb-waiting:"
WINDOW_CLOSED = (
	"held: the 24-hour window is closed (the contact last wrote more than 24 hours ago; Meta accepts "
	"only templates now)"
)
# what a waiting template's variables may be called, and what fills them
COUNT_NAMES = frozenset({"count", "messages", "message_count", "number", "n", "total", "pending", "held"})
COMPANY_NAMES = frozenset({"company", "business", "company_name", "empresa"})
PERSON_NAMES = frozenset({"name", "contact", "customer", "first_name", "nombre"})


def hold(row, contact, settings, error=None) -> str:
	"""Set an outgoing row Held (body and text kept) and make sure the contact has its waiting
	template; the row says why it waits and what was done about it. Returns 'held'."""
	row.db_set({"status": "Held", "next_attempt_at": None})
	waiting, problem = waiting_template(contact, settings)
	if waiting:
		note = (
			f"{WINDOW_CLOSED}; the 'messages waiting' template goes to the contact once (message {waiting})"
		)
	else:
		note = f"{WINDOW_CLOSED}; no 'messages waiting' template went out: {problem}"
	note += ". It goes out, in order, when the contact writes."
	code = None
	if error is not None:  # Meta said so (131047) although our clock said open: see `release_if_open`
		note = f"{error.describe()}; {note}"
		code = str(OUTSIDE_WINDOW_CODE)
	row.db_set({"error_code": code, "error_message": note})
	return "held"


def waiting_template(contact, settings) -> tuple[str | None, str | None]:
	"""The contact's one waiting template since they last wrote, queued now if there is none yet:
	(message name, None), or (None, why none can go)."""
	from whatsapp_chatbot.channel import outbox, template_send

	if not settings.get("waiting_template"):
		return None, "no template is set as Waiting Template in WhatsApp Chatbot Settings"
	key = waiting_key(contact)
	existing = frappe.db.get_value(MESSAGE, {"outbox_key": key})
	if existing:
		return existing, None
	template = in_language_of(settings.waiting_template, contact, settings)
	try:
		params = waiting_params(template_send.definition(template), contact)
		return outbox.queue_template(contact, template, params, key=key), None
	except template_send.TemplateNotUsable as refused:
		return None, str(refused)


def waiting_key(contact) -> str:
	since = (
		get_datetime(contact.last_inbound_at).strftime("%Y%m%d%H%M%S") if contact.last_inbound_at else "never"
	)
	return f"{WAITING_PREFIX}{contact.name}:{since}"


def is_waiting(row) -> bool:
	return bool(row.outbox_key and row.outbox_key.startswith(WAITING_PREFIX))


def in_language_of(template: str, contact, settings) -> str:
	"""The same template in the contact's language when Meta approved one, else the one set."""
	name, language = frappe.db.get_value(TEMPLATE, template, ["template_name", "language"]) or (None, None)
	wanted = contacts.language_of(contact, settings)
	if not name or (language or "").split("_")[0] == wanted:
		return template
	for candidate in frappe.get_all(
		TEMPLATE,
		filters={"template_name": name, "status": "APPROVED", "missing_at_meta": 0},
		fields=["name", "language"],
		order_by="language asc",
	):
		if candidate.language.split("_")[0] == wanted:
			return candidate.name
	return template


def waiting_params(definition: tm.Definition, contact) -> dict:
	"""Fill the waiting template sensibly: a count of held messages, the company, the contact's
	name (positional {{1}} {{2}} {{3}} in that order, or by name); quick replies carry the release.
	A variable it cannot fill is left out, and the template refused with the reason."""
	values = {
		"count": str(held_count(contact.name) or 1),
		"company": company_of(contact),
		"name": contact.profile_name or contact.wa_id or "",
	}
	params: dict = {}
	if definition.body_params:
		params["body"] = _fill(definition, definition.body_params, values)
	if definition.header_format == "text" and definition.header_params:
		params["header"] = _fill(definition, definition.header_params, values)
	buttons = {b.index: release_payload(contact) for b in definition.buttons if b.sub_type == "quick_reply"}
	if buttons:
		params["buttons"] = buttons
	return params


def _fill(definition: tm.Definition, variables, values: dict):
	if not definition.named:
		order = [values["count"], values["company"], values["name"]]
		return order[: len(variables)] if len(variables) <= len(order) else order
	filled = {}
	for variable in variables:
		lowered = variable.lower()
		for names, key in ((COUNT_NAMES, "count"), (COMPANY_NAMES, "company"), (PERSON_NAMES, "name")):
			if lowered in names:
				filled[variable] = values[key]
	return filled


def refresh(row, body: dict) -> dict:
	"""A waiting template about to go out counts the messages held by then (more may have been
	held since it was queued), on the row too; the body as queued when it cannot be rebuilt."""
	from whatsapp_chatbot.channel import template_send

	try:
		definition = template_send.definition(row.template)
		contact = frappe.get_doc(contacts.CONTACT, row.contact)
		params = waiting_params(definition, contact)
		template = body["template"]
		fresh = tm.build(template["name"], template["language"]["code"], definition, params)
	except (frappe.ValidationError, tm.TemplateParamsError, KeyError, TypeError):
		return body
	if fresh != body:
		row.db_set(
			{
				"request_body": json.dumps(fresh, ensure_ascii=False),
				"text": tm.preview_text(definition, params),
			}
		)
	return fresh


def held_count(contact: str) -> int:
	return frappe.db.count(MESSAGE, {"contact": contact, "direction": "Outgoing", "status": "Held"})


def company_of(contact) -> str:
	company = (
		frappe.defaults.get_user_default("Company", contact.user) if contact.user else None
	) or frappe.defaults.get_global_default("company")
	return company or frappe.db.get_single_value("Website Settings", "app_name") or "ERPNext"


def release_payload(contact) -> str:
	return f"{RELEASE_PREFIX}{contact.name}"


def is_release(payload: str | None) -> bool:
	return bool(payload and payload.startswith(RELEASE_PREFIX))


def release(contact: str, names: list[str] | None = None) -> int:
	"""The contact wrote: their held messages (or `names` of them) go back to the queue, in their
	order. Returns how many. The caller commits (with the contact's new last_inbound_at) and drains."""
	if names is None:
		names = frappe.get_all(
			MESSAGE,
			filters={"contact": contact, "direction": "Outgoing", "status": "Held"},
			order_by="creation asc",
			pluck="name",
		)
	for name in names:
		# through the document, so an open transcript sees Held turn into Queued
		frappe.get_doc(MESSAGE, name).db_set(
			{"status": "Queued", "next_attempt_at": None, "error_code": None, "error_message": None}
		)
	return len(names)


def release_if_open(contact: str) -> int:
	"""Release the contact's held messages if their window is open: called by the processing job
	when they write, and by the outbox before it sends anything newer (a manager's reply, say), so
	nothing overtakes them. A message held because Meta answered 131047 while our clock said the
	window was open waits for a message written after it was held (else each drain would try it
	again and again); nothing after it is released before it."""
	rows = frappe.get_all(
		MESSAGE,
		filters={"contact": contact, "direction": "Outgoing", "status": "Held"},
		fields=["name", "error_code", "modified"],
		order_by="creation asc",
	)
	if not rows:
		return 0
	doc = frappe.db.get_value(contacts.CONTACT, contact, ["name", "last_inbound_at"], as_dict=True)
	if not doc or not contacts.in_service_window(doc):
		return 0
	wrote = get_datetime(doc.last_inbound_at)
	names = []
	for row in rows:
		# Meta's timestamps are whole seconds: a message of the same second counts as after
		held_at = get_datetime(row.modified).replace(microsecond=0)
		if row.error_code == str(OUTSIDE_WINDOW_CODE) and held_at > wrote:
			break
		names.append(row.name)
	return release(contact, names)
