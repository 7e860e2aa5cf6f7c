"""Sync from Meta: one Chatbot Template per name + language, as Meta lists them.

Every page is read before anything is written (a Graph error on page 3 leaves the rows as they were,
and never marks what pages 3… would have listed as missing), then the rows are written in one
transaction. A row Meta no longer lists is marked `missing_at_meta`, never deleted by the sync: it
may be one the token cannot see right now (a permission or a Settings change), its events are its
history, and deleting it by hand is one click, which Frappe's own link check refuses while a
Settings field, a Notification or a Chatbot Message points at it.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from whatsapp_chatbot.channel import template_message
from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.settings import get_settings, graph_client
from whatsapp_chatbot.message_templates import lifecycle

TEMPLATE = "Chatbot Template"
QUALITY_SCORES = lifecycle.QUALITY_SCORES
# fields a sync sets; a row whose values all match is not saved again (no Version, no modified)
SYNCED = (
	"template_name",
	"language",
	"category",
	"parameter_format",
	"status",
	"flagged",
	"quality_score",
	"template_id",
	"business_account_id",
	"components",
	"parameters",
	"missing_at_meta",
	"status_reason",
)


def sync_templates() -> dict:
	"""Read every template of the Settings' WhatsApp Business Account and store them; returns
	{created, updated, unchanged, missing, total}. Raises a ValidationError saying what to fix."""
	settings = get_settings()
	waba = (settings.business_account_id or "").strip()
	if not waba:
		frappe.throw(
			_("Set the WhatsApp Business Account ID in WhatsApp Chatbot Settings to sync templates"),
			title=_("Templates not synced"),
		)
	try:
		client = graph_client(settings)
	except frappe.ValidationError:
		frappe.throw(
			_("Set the phone number id and the access token in WhatsApp Chatbot Settings to sync templates"),
			title=_("Templates not synced"),
		)
	try:
		listed = list(client.list_templates(waba))
	except GraphError as error:
		frappe.throw(
			_("Meta did not list the templates, nothing was changed: {0}").format(error.describe()),
			title=_("Templates not synced"),
		)
	return store(waba, listed)


def store(waba: str, listed: list[dict]) -> dict:
	counts = {"created": 0, "updated": 0, "unchanged": 0, "missing": 0, "total": len(listed)}
	now = now_datetime()
	seen: set[str] = set()
	for item in listed:
		values = row_values(item, waba)
		if not values:
			continue
		name, outcome = upsert(values, now)
		seen.add(name)
		counts[outcome] += 1
	counts["missing"] = mark_missing(waba, seen)
	frappe.db.commit()
	return counts


def row_values(item: dict, waba: str) -> dict | None:
	"""A Chatbot Template's fields from one template Meta listed (None if it lacks name/language)."""
	name, language = str(item.get("name") or ""), str(item.get("language") or "")
	if not name or not language:
		return None
	components = item.get("components") if isinstance(item.get("components"), list) else []
	named = str(item.get("parameter_format") or "").upper() == "NAMED"
	parameter_format = "Named" if named else "Positional"
	status, flagged = lifecycle.listed_status(item.get("status"))
	quality = item.get("quality_score")
	score = str((quality or {}).get("score") or "").upper() if isinstance(quality, dict) else ""
	category = str(item.get("category") or "").upper()
	values = {
		"template_name": name,
		"language": language,
		"category": category if category in lifecycle.CATEGORIES else None,
		"parameter_format": parameter_format,
		"template_id": str(item.get("id") or "") or None,
		"business_account_id": waba,
		"components": json.dumps(components, indent=1, ensure_ascii=False),
		"parameters": template_message.Definition.from_components(components, parameter_format).summary(),
		"missing_at_meta": 0,
	}
	if status:
		values["status"] = status
	if flagged is not None:
		values["flagged"] = int(flagged)
	if score in QUALITY_SCORES:
		values["quality_score"] = score
	rejected = str(item.get("rejected_reason") or "")
	if status == "REJECTED" and rejected and rejected.upper() != "NONE":
		values["status_reason"] = f"Rejected by Meta: {rejected}"
	return values


def find(template_id: str | None, template_name: str | None, language: str | None) -> str | None:
	"""The row for Meta's template: by Meta's id, else by name + language."""
	if template_id:
		name = frappe.db.get_value(TEMPLATE, {"template_id": template_id})
		if name:
			return name
	if template_name and language:
		return frappe.db.get_value(TEMPLATE, {"template_name": template_name, "language": language})
	return None


def upsert(values: dict, now) -> tuple[str, str]:
	name = find(values.get("template_id"), values["template_name"], values["language"])
	if not name:
		doc = frappe.get_doc({"doctype": TEMPLATE, **values, "last_synced_at": now})
		doc.insert(ignore_permissions=True)
		return doc.name, "created"
	doc = frappe.get_doc(TEMPLATE, name)
	moved = values.get("status") and values["status"] != doc.status
	if "status_reason" not in values and (doc.missing_at_meta or (moved and not doc.flagged)):
		# what the reason said (a pause, "no longer listed") is over: the webhook that said so
		# was missed, or the template is back
		values["status_reason"] = None
	changed = {k: v for k, v in values.items() if k in SYNCED and _differs(doc.get(k), v)}
	if not changed:
		frappe.db.set_value(TEMPLATE, name, "last_synced_at", now, update_modified=False)
		return name, "unchanged"
	doc.update(changed)
	doc.last_synced_at = now
	doc.save(ignore_permissions=True)
	return name, "updated"


def mark_missing(waba: str, seen: set[str]) -> int:
	"""Mark this account's rows Meta no longer lists (not those never submitted)."""
	rows = frappe.get_all(
		TEMPLATE,
		filters={"business_account_id": waba, "missing_at_meta": 0, "status": ("!=", "Not Submitted")},
		pluck="name",
	)
	gone = [name for name in rows if name not in seen]
	for name in gone:
		doc = frappe.get_doc(TEMPLATE, name)
		doc.missing_at_meta = 1
		doc.status_reason = "Meta no longer lists this template (deleted at Meta?)"
		doc.save(ignore_permissions=True)
	return len(gone)


def _differs(old, new) -> bool:
	if old in (None, "") and new in (None, ""):
		return False
	if isinstance(new, int) and not isinstance(new, bool):
		return int(old or 0) != new
	return str(old) != str(new)


def daily() -> None:
	"""The scheduler's daily sync: nothing to do until the Settings name an account; a failure is
	logged (the Error Log says why) and the next day tries again."""
	settings = get_settings()
	if not settings.enabled or not settings.business_account_id:
		return
	try:
		sync_templates()
	except frappe.ValidationError:
		frappe.db.rollback()
		frappe.log_error(title="WhatsApp templates: daily sync failed")
