"""Offering a step to its approvers: one Chatbot Approval per approver, and what they are sent.

Inside the 24-hour window: the summary with one reply button per action (a list for more than
three), after the PDF when the Settings ask for it. Outside it, when the actions are exactly
Approve and Reject: the approval template (the Settings' Approval Template, else the app's own
`chatbot_approval_request`, in the approver's language) with the PDF printed as the approver as
its header and the two buttons as quick replies; otherwise the buttons are queued like any message
and the outbox holds them behind the one "messages waiting" template (approvals/message.py says
why). Every message is linked to the document, so its timeline shows what was sent.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import frappe
from frappe import _

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.approvals import approvers, message, summary
from whatsapp_chatbot.channel import contacts, held, outbox
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.executors import local
from whatsapp_chatbot.message_templates import standard
from whatsapp_chatbot.tools import data

APPROVAL = "Chatbot Approval"
CHATBOT_TEMPLATE = "Chatbot Template"


def notify(workflow_action: str, requested_by: str | None = None) -> list[str]:
	"""Everyone who may take the step this Workflow Action stands for hears about it, once (a
	retried job finds the approvals it made). Returns the contacts it queued messages for."""
	from frappe.workflow.doctype.workflow_action.workflow_action import get_doc_workflow_state

	row = frappe.db.get_value(
		"Workflow Action",
		workflow_action,
		["reference_doctype", "reference_name", "workflow_state", "status"],
		as_dict=True,
	)
	if not row or row.status != "Open" or not frappe.db.exists(row.reference_doctype, row.reference_name):
		return []
	doc = frappe.get_doc(row.reference_doctype, row.reference_name)
	state = get_doc_workflow_state(doc)
	if state != row.workflow_state:
		return []  # it moved on before this job ran: the newer step's own job speaks
	supersede(doc, state)
	offered = []
	for user, (contact_name, actions) in approvers.next_actions(doc).items():
		if frappe.db.exists(APPROVAL, {"workflow_action": workflow_action, "run_as": user}):
			continue
		contact = frappe.get_doc(contacts.CONTACT, contact_name)
		send(contact, doc, state, actions, requested_by=requested_by, workflow_action=workflow_action)
		offered.append(contact.name)
	return offered


def create(contact, doc, state: str, actions: list[str], requested_by=None, workflow_action=None):
	return frappe.get_doc(
		{
			"doctype": APPROVAL,
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"workflow_state": state,
			"actions": "\n".join(actions),
			"status": "Open",
			"contact": contact.name,
			"run_as": contact.user,
			"requested_by": requested_by,
			"workflow_action": workflow_action,
			"document_modified": doc.modified,
			"confirmation_token": frappe.generate_hash(length=20).lower(),
		}
	).insert(ignore_permissions=True)


def actions_of(approval) -> list[str]:
	return [action for action in (approval.actions or "").split("\n") if action]


def buttons_body(approval, doc, language: str) -> dict:
	"""The summary and the buttons of `approval`, in `language`."""
	actions = actions_of(approval)
	with i18n.speaking(language):
		read = summary.of(doc, approval.workflow_state, approval.requested_by)
		names = [_(action) for action in actions]
	ids = [message.button_id(approval.name, approval.confirmation_token, i) for i in range(len(actions))]
	return message.actions_message(read, ids, names, language)


def send(contact, doc, state: str, actions: list[str], *, requested_by=None, workflow_action=None):
	"""Record the approval and queue what the approver gets; the Chatbot Approval."""
	approval = create(contact, doc, state, actions, requested_by, workflow_action)
	language = contacts.language_of(contact)
	links = {"reference_doctype": doc.doctype, "reference_name": doc.name}
	key = f"approval:{approval.name}"
	if not contacts.in_service_window(contact):
		sent = _template(contact, approval, doc, language, key, links)
		if sent:
			approval.db_set("message", sent)
			return approval
	if get_settings().approval_pdf:
		pdf = printed(doc, contact.user)
		if pdf:
			with i18n.speaking(language):
				caption = f"{_(doc.doctype)} {doc.name}"
			outbox.queue_document(contact, *pdf, caption, key=f"{key}:pdf", **links)
	# outside the window this is held, and the "messages waiting" template goes out instead
	approval.db_set("message", outbox.queue(contact, buttons_body(approval, doc, language), key=key, **links))
	return approval


def _template(contact, approval, doc, language: str, key: str, links: dict) -> str | None:
	"""The approval template with its PDF header and quick replies; None when it cannot carry this
	step (other actions than Approve/Reject, no approved template, no PDF for its header)."""
	actions = actions_of(approval)
	positions = message.approve_reject(actions)
	template = template_for(contact)
	if positions is None or template is None:
		return None
	pdf = printed(doc, contact.user)
	if pdf is None:
		return None
	with i18n.speaking(language):
		read = summary.of(doc, approval.workflow_state, approval.requested_by)
	approve, reject = (message.button_id(approval.name, approval.confirmation_token, i) for i in positions)
	try:
		return outbox.queue_template(
			contact, template, message.template_params(read, approve, reject), document=pdf, key=key, **links
		)
	except frappe.ValidationError:
		frappe.log_error(
			title=f"WhatsApp approval template {template} not usable", message=frappe.get_traceback()
		)
		return None


def template_for(contact) -> str | None:
	"""The approval template in the contact's language when Meta approved one: the Settings'
	Approval Template, else the app's own chatbot_approval_request (Spanish or English)."""
	settings = get_settings()
	if settings.get("approval_template"):
		return held.in_language_of(settings.approval_template, contact, settings)
	rows = frappe.get_all(
		CHATBOT_TEMPLATE,
		filters={"template_name": standard.APPROVAL_REQUEST, "status": "APPROVED", "missing_at_meta": 0},
		fields=["name", "language"],
	)
	by_language = {texts.normalise_language(row.language): row.name for row in rows}
	return by_language.get(contacts.language_of(contact, settings)) or by_language.get("en")


def printed(doc, user: str) -> tuple[str, bytes, str] | None:
	"""The document's PDF printed as `user` (their print permission, their print format), or None
	when they may not print it or printing fails (the approval goes without it)."""
	try:
		with local.as_user(user):
			content = data.LOCAL.pdf(doc)
	except Exception:
		frappe.log_error(
			title=f"WhatsApp approval: PDF of {doc.doctype} {doc.name}", message=frappe.get_traceback()
		)
		return None
	filename = re.sub(r"[^A-Za-z0-9._-]+", "-", doc.name).strip("-") + ".pdf"
	return filename, content, "application/pdf"


def done(doc, from_state: str, action: str, by_user: str, new_state: str) -> None:
	"""An approver took `action`: every approval still open for that step is closed, and the other
	approvers are told who did what (their buttons now answer "already done")."""
	rows = frappe.get_all(
		APPROVAL,
		filters={
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"workflow_state": from_state,
			"status": "Open",
		},
		fields=["name", "contact", "run_as"],
	)
	who = summary.full_name(by_user)
	for row in rows:
		mine = row.run_as == by_user
		frappe.db.set_value(
			APPROVAL,
			row.name,
			{
				"status": "Used" if mine else "Done by Other",
				"confirmation_token": None,
				"done_by": by_user,
				"outcome_state": new_state,
			},
		)
		if not mine:
			_tell(
				row.contact,
				doc,
				"approval_done_by_other",
				f"approval:{row.name}:done",
				user=who,
				action=action,
				state=new_state,
			)


def supersede(doc, state: str) -> None:
	"""The document reached `state` some other way (the Desk, another app): approvals of its earlier
	steps are closed, and their approvers told who moved it."""
	rows = frappe.get_all(
		APPROVAL,
		filters={
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"workflow_state": ("!=", state),
			"status": "Open",
		},
		fields=["name", "contact"],
	)
	who = summary.full_name(doc.modified_by)
	for row in rows:
		frappe.db.set_value(
			APPROVAL,
			row.name,
			{
				"status": "Superseded",
				"confirmation_token": None,
				"done_by": doc.modified_by,
				"outcome_state": state,
			},
		)
		_tell(row.contact, doc, "approval_moved_on", f"approval:{row.name}:moved", user=who, state=state)


def _tell(contact_name: str, doc, key: str, outbox_key: str, **values) -> None:
	contact = frappe.get_doc(contacts.CONTACT, contact_name)
	language = contacts.language_of(contact)
	with i18n.speaking(language):
		translated = {k: _(v) if k in ("action", "state") else v for k, v in values.items()}
		sentence = texts.text(key, language, doctype=_(doc.doctype), name=doc.name, **translated)
	with queued_for_others():
		outbox.queue_text(
			contact, sentence, key=outbox_key, reference_doctype=doc.doctype, reference_name=doc.name
		)


@contextmanager
def queued_for_others():
	"""A turn's replies are sent by its own job (outbox send_inline drains the sender only): what
	is queued here for other contacts gets its own send job."""
	previous = frappe.flags.whatsapp_chatbot_send_inline
	frappe.flags.whatsapp_chatbot_send_inline = False
	try:
		yield
	finally:
		frappe.flags.whatsapp_chatbot_send_inline = previous
