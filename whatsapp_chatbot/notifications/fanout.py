"""A WhatsApp Notification firing: rendered once in the request, fanned out by one job.

In the request (the save or submit that fired it, inside Frappe's evaluate_alert): the message and
every template parameter are rendered from the document as it is now, a snapshot of the document
is taken, and one job is enqueued after commit. That is all the save pays: a few Jinja renders and
an RQ push, whatever the number of recipients. The document may change before the job runs (the
next save), so nothing the recipients read is rendered later.

In the job: Frappe's recipients for the snapshot, each checked as that User
(notifications/recipients.py); for each contact the message as text inside the 24-hour window, or
the template (in the contact's language when it exists) outside it, the PDF rendered once for all.

All or nothing per firing: every template a contact would get is checked (status at Meta, the
parameters against its definition, notifications/parameters.py) before anything is queued, and the
rows are queued in the job's one transaction, rolled back whole if any of them fails, so nobody
gets a half-built notification while others get theirs. A recipient without a contact or without
permission is not a failure: they are left out and named on the form. Nothing here ever raises
into the save: failures go to the Error Log and the Notification's "Last Error".

Idempotent: the firing's id (notification, document, its `modified`, the event) names the job
(deduplicated while queued) and every row's outbox key, so a job run twice queues nothing twice.
"""

from __future__ import annotations

import hashlib
import json

import frappe
from frappe import _
from frappe.utils import nowdate

from whatsapp_chatbot.channel import contacts, outbox, template_send
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.jobs.queues import turn_queue
from whatsapp_chatbot.notifications import config, fields, message_text, outcome, parameters, recipients

JOB = "whatsapp_chatbot.notifications.fanout.run"
MESSAGE = "Chatbot Message"
DETAILS_LIMIT = 700  # the message in a template's {{details}}: room left for the template's own words
TITLE_LIMIT = 200
DATE_EVENTS = ("Days Before", "Days After")


class NotSendable(Exception):
	"""The firing cannot be sent as configured; the message says what to change."""


# -- in the request --------------------------------------------------------------------------


def notify(notification, doc, context) -> None:
	"""Render and enqueue; never raises (the document is saved whatever happens here)."""
	doctype, name = reference(doc)
	shown = len(frappe.local.message_log or [])
	try:
		rendered = render(notification, doc, context)
		firing = firing_id(notification, doc)
		frappe.enqueue(
			JOB,
			queue=turn_queue(),
			job_id=f"whatsapp_chatbot:notify:{firing}",
			deduplicate=True,
			enqueue_after_commit=True,
			notification=notification.name,
			snapshot=doc.as_dict(),
			firing=firing,
			**rendered,
		)
	except Exception as error:
		# the person saving sees no error dialog: the manager reads it on the Notification
		del frappe.local.message_log[shown:]
		details = None if isinstance(error, NotSendable) else frappe.get_traceback(with_context=False)
		outcome.failed(notification.name, doctype, name, describe(error), details)


def render(notification, doc, context) -> dict:
	"""What every recipient reads, rendered once: the text, the standard values and each row."""
	text = message_text.to_text(_render(notification.message, context, _("the message")))
	if not text.strip():
		raise NotSendable(_("The message renders empty for this document: there is nothing to send."))
	title = _render(notification.subject, context, _("the subject")) or notification.name
	standard = {
		"title": message_text.one_line(message_text.to_text(title), TITLE_LIMIT),
		"details": message_text.one_line(text, DETAILS_LIMIT),
	}
	values = []
	for (component, parameter), expression in config.rows(notification).items():
		what = _("the parameter {0} {1}").format(_(component), parameter)
		values.append(
			[component, parameter, message_text.one_line(_render(expression, context, what), 10**6)]
		)
	return {"text": text, "standard": standard, "values": values}


def _render(template: str | None, context: dict, what: str) -> str:
	"""frappe.render_template's rendering (its Jinja environment and the same refusal of
	`.__`), but an error is NotSendable in words rather than frappe.throw's dialog to whoever
	saved the document."""
	from frappe.utils.jinja import get_jenv

	if not template:
		return ""
	if ".__" in template:
		raise NotSendable(
			_("The Jinja of {0} is refused: it reaches into Python internals (.__)").format(what)
		)
	try:
		return get_jenv().from_string(template).render(context)
	except Exception as error:
		raise NotSendable(_("The Jinja of {0} failed for this document: {1}").format(what, describe(error)))


def firing_id(notification, doc) -> str:
	moment = [notification.name, doc.doctype, str(doc.name), str(doc.get("modified")), notification.event]
	if notification.event in DATE_EVENTS:
		moment.append(nowdate())  # the daily run fires again for an unchanged document on another day
	return hashlib.sha1("|".join(moment).encode()).hexdigest()[:20]


# -- in the job -------------------------------------------------------------------------------


def run(notification: str, snapshot: dict, firing: str, text: str, standard: dict, values: list) -> None:
	doc = frappe.get_doc(snapshot)  # the document as it was when the notification fired
	doctype, name = reference(doc)
	try:
		alert = frappe.get_doc("Notification", notification)
		target = frappe.get_doc(doctype, name) if doc.meta.istable else doc
		context = {"doc": doc, "alert": alert, "comments": None}
		if doc.get("_comments"):
			context["comments"] = json.loads(doc.get("_comments"))
		audience = recipients.resolve(recipients.addresses(alert, doc, context), target)
		plan = _plan(alert, audience.contacts, standard, {tuple(v[:2]): v[2] for v in values}, target)
		new = _queue(alert, plan, text, target, firing)
	except Exception as error:
		frappe.db.rollback()  # and with it the send jobs that were to follow the commit
		details = None if isinstance(error, NotSendable) else frappe.get_traceback(with_context=False)
		outcome.failed(notification, doctype, name, describe(error), details)
		return
	if new is not None:  # None: an earlier run of this job queued them already
		outcome.on_timeline(notification, doctype, name, new)
	outcome.succeeded(notification, doctype, name, len(new or []), len(audience.contacts), audience.skipped)


def _plan(alert, audience: list, standard: dict, values: dict, target) -> list[dict]:
	"""One entry per contact: text in the window, else the template and its parameters. Every
	template is checked first; NotSendable lists every problem."""
	settings = get_settings()
	base = config.base_template(alert, settings)
	attach = bool(alert.get(fields.ATTACH_DOCUMENT))
	plan, checked, problems = [], {}, []
	for contact in audience:
		if contacts.in_service_window(contact) or not base:
			# no template at all: the outbox holds the text until the contact writes
			plan.append({"contact": contact, "template": None})
			continue
		template = config.variant(base, contacts.language_of(contact, settings))
		if template not in checked:
			checked[template] = _check(template, values, standard, attach, target)
			problems += checked[template][1]
		plan.append({"contact": contact, "template": template, "params": checked[template][0]})
	if problems:
		raise NotSendable("; ".join(problems))
	return plan


def _check(template: str, values: dict, standard: dict, attach: bool, target) -> tuple[dict, list[str]]:
	refused = template_send.refused_now(template)
	if refused:
		return {}, [refused]
	# {{document}}: the document's type in the template's language ("Orden de Venta SAL-ORD-…")
	language = (frappe.db.get_value(config.TEMPLATE, template, "language") or "").split("_")[0]
	document = f"{_(target.doctype, lang=language or None)} {target.name}"
	standard = {**standard, "document": message_text.one_line(document, TITLE_LIMIT)}
	definition = template_send.definition(template)
	label = config.label(template)
	problems = config.header_problems(definition, attach, label)
	params, fit = parameters.fit(definition, values, standard, header_media=attach, template=label)
	return params, problems + fit


def _queue(alert, plan: list[dict], text: str, target, firing: str) -> list[str] | None:
	keys = {entry["contact"].name: f"notify:{firing}:{entry['contact'].name}" for entry in plan}
	done = set(
		frappe.get_all(MESSAGE, filters={"outbox_key": ("like", f"notify:{firing}:%")}, pluck="outbox_key")
	)
	if plan and all(key in done or f"{key}:0" in done for key in keys.values()):
		return None
	links = {"reference_doctype": target.doctype, "reference_name": target.name, "notification": alert.name}
	document = (
		_pdf(alert, target)
		if any(entry["template"] for entry in plan) and alert.get(fields.ATTACH_DOCUMENT)
		else None
	)
	conversations = _open_conversations([entry["contact"] for entry in plan])
	names = []
	for entry in plan:
		contact = entry["contact"]
		common = {"conversation": conversations.get(contact.name), "key": keys[contact.name], **links}
		if entry["template"]:
			names.append(
				outbox.queue_template(
					contact, entry["template"], entry["params"], document=document, **common
				)
			)
		else:
			names += outbox.queue_text(contact, text, **common)
	return names


def _pdf(alert, doc) -> tuple[str, bytes, str]:
	"""The document's PDF, once for every recipient, with the Notification's print format (the
	DocType's default when none). Recipients were checked for read permission, which is what
	Frappe's print view asks; rendered as the email channel's attachments are."""
	print_format = alert.print_format or doc.meta.default_print_format or "Standard"
	frappe.local.flags.ignore_print_permissions = True
	try:
		content = frappe.get_print(doc.doctype, doc.name, print_format, doc=doc, as_pdf=True)
	finally:
		frappe.local.flags.ignore_print_permissions = False
	filename = f"{doc.name}.pdf".replace("/", "-").replace(" ", "")
	return filename, content, "application/pdf"


def _open_conversations(contacts_: list) -> dict[str, str]:
	"""The contact's open conversation, if any, so a reply to the notification reads in context."""
	rows = frappe.get_all(
		"Chatbot Conversation",
		filters={
			"contact": ("in", [c.name for c in contacts_] or [""]),
			"status": ("in", ("Open", "Waiting", "Human")),
		},
		fields=["name", "contact", "user"],
		order_by="creation asc",
	)
	users = {c.name: c.user for c in contacts_}
	return {row.contact: row.name for row in rows if row.user == users.get(row.contact)}


# -- shared ------------------------------------------------------------------------------------


def reference(doc) -> tuple[str, str]:
	"""The document a notification is about (a child row's parent, as Frappe's email channel does)."""
	if doc.meta.istable:
		return doc.parenttype, doc.parent
	return doc.doctype, doc.name


def describe(error: Exception) -> str:
	"""An error in words, without markup (Frappe's messages may carry some)."""
	from frappe.utils import strip_html

	text = strip_html(str(error) or error.__class__.__name__).strip()
	return text or error.__class__.__name__
