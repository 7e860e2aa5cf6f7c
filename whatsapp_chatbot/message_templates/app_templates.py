"""Submit the app's own templates (standard.py) to Meta for review, once.

Templates are first synced from Meta, so a template Meta already holds (submitted by an earlier
press, by hand in WhatsApp Manager, or by another site on the same account) is never submitted
again: its row is synced and marked as the app's. Each created template is committed as soon as
Meta answers (Meta has it then, whatever happens to the next one). A refused one is reported with
Meta's words; a second sync afterwards recognises one that Meta refused because it already existed
("Content in this language already exists", error 100 / 2388024).

The Settings' waiting and notification templates are filled with the app's templates in the
Settings' language when they are empty, right away: they start working the moment Meta approves
them (the outbox refuses a template that is not APPROVED), with nobody to come back and set them.
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from whatsapp_chatbot.channel import template_message
from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.settings import DOCTYPE, get_settings, graph_client
from whatsapp_chatbot.message_templates import standard, sync

SETTINGS_TEMPLATES = {"waiting_template": standard.WAITING, "notification_template": standard.NOTIFICATION}


def create_app_templates() -> dict:
	"""{submitted: [...], existing: [...], failed: [{template, error}], settings: [fields set]}."""
	sync.sync_templates()  # also checks the Settings and says what is missing
	settings = get_settings()
	waba = settings.business_account_id
	client = graph_client(settings)
	result = {"submitted": [], "existing": [], "failed": [], "settings": []}
	handle = None
	for body in standard.definitions():
		label = f"{body['name']}-{body['language']}"
		if _at_meta(body):
			_mark_ours(body)
			result["existing"].append(label)
			continue
		try:
			if standard.needs_example_file(body) and handle is None:
				handle = client.upload_example(
					client.app_id(), standard.SAMPLE_PDF, standard.SAMPLE_PDF_NAME, "application/pdf"
				)
			answer = client.create_template(waba, standard.create_body(body, handle))
		except GraphError as error:
			result["failed"].append({"template": label, "error": error.describe()})
			continue
		_store_submitted(body, answer, waba)
		frappe.db.commit()
		result["submitted"].append(label)
	if result["failed"]:
		_recognise_existing(result)
	result["settings"] = _fill_settings(settings)
	frappe.db.commit()
	return result


def _at_meta(body: dict) -> bool:
	name = sync.find(None, body["name"], body["language"])
	if not name:
		return False
	status, missing = frappe.db.get_value(sync.TEMPLATE, name, ["status", "missing_at_meta"])
	return bool(status and status != "Not Submitted" and not missing)


def _mark_ours(body: dict) -> None:
	name = sync.find(None, body["name"], body["language"])
	if name and not frappe.db.get_value(sync.TEMPLATE, name, "is_app_template"):
		frappe.db.set_value(sync.TEMPLATE, name, "is_app_template", 1)


def _store_submitted(body: dict, answer: dict, waba: str) -> None:
	components = body["components"]
	values = {
		"template_name": body["name"],
		"language": body["language"],
		"category": str(answer.get("category") or body["category"]).upper(),
		"parameter_format": "Named",
		"status": str(answer.get("status") or "PENDING").upper(),
		"status_reason": None,
		"template_id": str(answer["id"]),
		"business_account_id": waba,
		"components": json.dumps(components, indent=1, ensure_ascii=False),
		"parameters": template_message.Definition.from_components(components, "Named").summary(),
		"missing_at_meta": 0,
		"is_app_template": 1,
	}
	name = sync.find(values["template_id"], body["name"], body["language"])
	doc = frappe.get_doc(sync.TEMPLATE, name) if name else frappe.new_doc(sync.TEMPLATE)
	doc.update(values)
	doc.save(ignore_permissions=True)


def _recognise_existing(result: dict) -> None:
	"""Meta refused some: those it lists now were there already (another site, WhatsApp Manager)."""
	try:
		sync.sync_templates()
	except frappe.ValidationError:
		frappe.db.rollback()
		return
	still_failed = []
	for failure in result["failed"]:
		name, language = failure["template"].rsplit("-", 1)
		if _at_meta({"name": name, "language": language}):
			_mark_ours({"name": name, "language": language})
			result["existing"].append(failure["template"])
		else:
			still_failed.append(failure)
	result["failed"] = still_failed


def _fill_settings(settings) -> list[str]:
	language = (settings.default_language or "").split("-")[0].split("_")[0].lower()
	language = language if language in standard.LANGUAGES else "en"
	filled = []
	for fieldname, template in SETTINGS_TEMPLATES.items():
		if settings.get(fieldname):
			continue
		name = sync.find(None, template, language)
		if name:
			frappe.db.set_single_value(DOCTYPE, fieldname, name)
			filled.append(fieldname)
	if filled:
		frappe.clear_document_cache(DOCTYPE, DOCTYPE)
	return filled


def summary(result: dict) -> str:
	"""One paragraph for the manager who pressed the button."""
	lines = []
	if result["submitted"]:
		lines.append(_("Submitted to Meta for review: {0}").format(", ".join(result["submitted"])))
	if result["existing"]:
		lines.append(_("Already at Meta: {0}").format(", ".join(result["existing"])))
	for failure in result["failed"]:
		lines.append(_("Meta refused {0}: {1}").format(failure["template"], failure["error"]))
	if result["settings"]:
		lines.append(_("Set in WhatsApp Chatbot Settings: {0}").format(", ".join(result["settings"])))
	return "\n".join(lines)
