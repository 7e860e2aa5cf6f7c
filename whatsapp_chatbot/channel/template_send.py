"""Sending a Meta message template: checked against the synced Chatbot Template before anything is
queued, so what Meta would refuse costs no row and no Graph call (`outbox.queue_template` is the
entry point; channel/template_message.py holds the rules).

A template is usable when Meta approved it and the last sync still found it. Meta's answers about
a template at send time are believed over our copy: a 132015 (paused) or 132016 (disabled) marks
the Chatbot Template, so the next send is refused here until a sync or Meta's webhook says
otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import frappe
from frappe import _

from whatsapp_chatbot.channel import template_message as tm
from whatsapp_chatbot.channel.errors import TEMPLATE_DISABLED_CODE, TEMPLATE_PAUSED_CODE

TEMPLATE = "Chatbot Template"
USABLE = frozenset({"APPROVED"})
STATUS_AFTER_ERROR = {TEMPLATE_PAUSED_CODE: "PAUSED", TEMPLATE_DISABLED_CODE: "DISABLED"}
HEADER_MIME = {"image": ("image/jpeg", "image/png"), "video": ("video/mp4", "video/3gpp")}


class TemplateNotUsable(frappe.ValidationError):
	"""The template cannot be sent as asked; the message says what to do. Nothing was queued."""


@dataclass
class Prepared:
	template: str  # the Chatbot Template's name
	body: dict  # the Graph body (a media header's id is added by the send job, after upload)
	text: str  # what the contact reads, for the Chatbot Message and the transcript


def definition(template: str) -> tm.Definition:
	doc = frappe.db.get_value(TEMPLATE, template, ["name", "components", "parameter_format"], as_dict=True)
	if not doc:
		raise TemplateNotUsable(
			_(
				"There is no Chatbot Template {0}: sync templates from Meta, or pick one from the list."
			).format(template)
		)
	return tm.Definition.from_components(_components(doc.components), doc.parameter_format)


def prepare(template: str, params: dict | None, document: tuple | None = None) -> Prepared:
	"""Check everything Meta would and build the body; TemplateNotUsable with every reason."""
	definition_ = definition(template)
	doc = frappe.db.get_value(
		TEMPLATE,
		template,
		["name", "template_name", "language", "status", "missing_at_meta"],
		as_dict=True,
	)
	problem = refused_now(template)
	if problem:
		raise TemplateNotUsable(problem)
	problems = tm.check(definition_, params, header_media=document is not None)
	if document is not None:
		problems += _document_problems(definition_, document)
	if problems:
		raise TemplateNotUsable(
			_("Template {0} cannot be sent with these parameters: {1}. What it needs: {2}").format(
				doc.name, "; ".join(problems), definition_.summary().replace("\n", "; ")
			)
		)
	filename = document[0] if document else None
	body = tm.build(doc.template_name, doc.language, definition_, params, header_filename=filename)
	return Prepared(doc.name, body, tm.preview_text(definition_, params))


def refused_now(template: str) -> str | None:
	"""Why Meta would refuse this template now (status, gone), else None: asked again by the send
	job, since a template can be paused between queueing and sending."""
	doc = frappe.db.get_value(TEMPLATE, template, ["name", "status", "missing_at_meta"], as_dict=True)
	if not doc:
		return _(
			"There is no Chatbot Template {0}: sync templates from Meta, or pick one from the list."
		).format(template)
	if doc.missing_at_meta:
		return _(
			"Template {0} was not found at Meta in the last sync (deleted there): pick another template."
		).format(doc.name)
	if doc.status not in USABLE:
		advice = {
			"PAUSED": _(
				"Meta paused it for low quality; it resumes after 3 h (first pause) or 6 h (second)."
			),
			"DISABLED": _("Meta disabled it after repeated pauses: create a new template."),
			"PENDING": _("Meta is still reviewing it (minutes to a day): sync templates later."),
			"REJECTED": _("Meta rejected it: edit it in WhatsApp Manager and submit it again."),
		}.get(doc.status, _("Only approved templates can be sent: sync templates."))
		return _("Template {0} is {1}, not APPROVED: {2}").format(
			doc.name, doc.status or _("not set"), advice
		)
	return None


def after_meta_error(template: str | None, code) -> None:
	"""Meta said the template is paused or disabled: our copy says so too, and why."""
	try:
		status = STATUS_AFTER_ERROR.get(int(code))
	except (TypeError, ValueError):
		return
	if template and status and frappe.db.exists(TEMPLATE, template):
		frappe.db.set_value(
			TEMPLATE,
			template,
			{"status": status, "status_reason": f"Meta answered {code} when a message used it"},
		)


def _document_problems(definition_: tm.Definition, document: tuple) -> list[str]:
	try:
		filename, content, mime_type = document
	except (TypeError, ValueError):
		return ["the document must be (filename, bytes, MIME type)"]
	kind = definition_.media_header
	if not kind:
		return ["the template has no document, image or video header: no file can go with it"]
	problems = []
	if not filename or not content:
		problems.append("the header file is empty or has no name")
	allowed = HEADER_MIME.get(kind)
	if allowed and (mime_type or "").split(";")[0].strip().lower() not in allowed:
		problems.append(f"the header is an {kind}: the file must be {' or '.join(allowed)}, not {mime_type}")
	return problems


def _components(value) -> list:
	if isinstance(value, list):
		return value
	try:
		components = json.loads(value or "[]")
	except ValueError:
		return []
	return components if isinstance(components, list) else []
