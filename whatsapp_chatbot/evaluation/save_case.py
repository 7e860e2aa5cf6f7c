"""Save as Case: a manager turns a real exchange (a Chatbot Command and the user's messages that led
to it) into an evaluation case, correcting the expected command or arguments if the bot got them
wrong. `proposal` fills the Desk's dialog; `save` creates the case from what the manager sent."""

from __future__ import annotations

import json
import re

import frappe
from frappe.utils import getdate

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel.settings import get_settings
from whatsapp_chatbot.interpreter import history, language
from whatsapp_chatbot.media.current import MEDIA_ARGUMENT

COMMAND, MESSAGE, CASE = "Chatbot Command", "Chatbot Message", "Chatbot Evaluation Case"
MAX_TURNS = 4  # earlier turns shown in the dialog, at most (the Settings' history length otherwise)
EDITABLE = (
	"case_id",
	"title",
	"tags",
	"language",
	"run_as",
	"roles",
	"expect",
	"expected_command",
	"expected_arguments",
	"answer_contains",
	"simulated_results",
	"today",
	"notes",
)


def proposal(command: str) -> dict:
	doc = frappe.get_doc(COMMAND, command)
	message = frappe.get_doc(MESSAGE, doc.message) if doc.message else None
	said = (message.text or message.transcript or "") if message else ""
	turns = min(int(get_settings().history_turns or 0), MAX_TURNS)
	earlier = (
		history.for_turn(doc.conversation, message.name, turns, before=message.creation)
		if message and doc.conversation
		else []
	)
	return {
		"case_id": _case_id(doc),
		"title": f"{doc.command} ({doc.name})",
		"tags": "saved",
		"language": _language(said, doc.contact),
		"run_as": doc.run_as,
		"messages": [*earlier, {"role": "user", "content": said}],
		"expect": "Command",
		"expected_command": doc.command,
		"expected_arguments": json.dumps(_arguments(doc.arguments), ensure_ascii=False, indent=1),
		"today": str(getdate(message.creation)) if message else None,
		"source_command": doc.name,
	}


def save(command: str, values: dict) -> str:
	"""Create the case (as the manager: Frappe's permissions on the case apply); returns its id."""
	frappe.get_doc(COMMAND, command).check_permission("read")
	case = frappe.get_doc(
		{
			"doctype": CASE,
			**{field: values.get(field) for field in EDITABLE if values.get(field) not in (None, "")},
			"source_command": command,
			"messages": [
				{"role": m.get("role") or "user", "content": m.get("content") or ""}
				for m in values.get("messages") or []
				if (m.get("content") or "").strip()
			],
		}
	)
	return case.insert().name


def _case_id(doc) -> str:
	base = re.sub(r"[^a-z0-9_-]+", "-", f"saved-{doc.command}-{doc.name}".lower()).strip("-")
	return base if not frappe.db.exists(CASE, base) else f"{base}-{frappe.generate_hash(length=4)}"


def _language(said: str, contact: str | None) -> str:
	guessed = language.guess(said)
	if guessed.language:
		return guessed.language
	stored = frappe.db.get_value("Chatbot Contact", contact, "language") if contact else None
	return texts.normalise_language(stored) if stored else "en"


def _arguments(stored: str | None) -> dict:
	"""What the bot chose, minus what the app filled in and the empty optional ones."""
	try:
		arguments = json.loads(stored or "{}")
	except ValueError:
		return {}
	if not isinstance(arguments, dict):
		return {}
	return {k: v for k, v in arguments.items() if v not in (None, "", []) and k != MEDIA_ARGUMENT}
