"""The Settings form's "Test Graph API" and "Test OpenAI": one real call each with the saved
settings, answered in words a manager can act on, with Meta's or OpenAI's own error text.

Nothing here is stored or logged: a check that fails says why on the screen and leaves no trace.
"""

from __future__ import annotations

import frappe
import openai
from frappe import _

from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.settings import get_settings, graph_client
from whatsapp_chatbot.interpreter import client as openai_client

# Meta's quality ratings, as the WhatsApp Manager shows them
QUALITY = {"GREEN": "High", "YELLOW": "Medium", "RED": "Low", "UNKNOWN": "Not rated yet"}


def graph_api() -> dict:
	settings = get_settings()
	try:
		number = graph_client(settings).phone_number()
	except frappe.ValidationError as error:  # phone number id or token missing
		return {"ok": False, "error": str(error)}
	except GraphError as error:
		hint = _("Save a new access token.") if error.invalid_token else None
		return {"ok": False, "error": error.describe(), "code": error.code, "hint": hint}
	rating = number.get("quality_rating") or "UNKNOWN"
	return {
		"ok": True,
		"display_phone_number": number.get("display_phone_number"),
		"verified_name": number.get("verified_name"),
		"quality_rating": rating,
		"quality": _(QUALITY.get(rating, rating)),
	}


def openai_api() -> dict:
	settings = get_settings()
	if not openai_client.is_configured():
		return {"ok": False, "error": _("Set the OpenAI API key first")}
	try:
		models = sorted(model.id for model in openai_client.make_client(settings).models.list())
	except openai.APIStatusError as error:
		# OpenAI's own message (it masks the key itself: "Incorrect API key provided: sk-…abcd")
		return {"ok": False, "error": f"HTTP {error.status_code}: {error.message}", "code": error.code}
	except openai.APIConnectionError as error:
		return {"ok": False, "error": _("Could not reach {0}: {1}").format(_base_url(settings), error)}
	wanted = {"model": settings.openai_model, "transcription_model": settings.transcription_model}
	missing = {field: name for field, name in wanted.items() if name and name not in models}
	return {
		"ok": not missing.get("model"),
		"models": len(models),
		"model": settings.openai_model,
		"model_found": settings.openai_model in models,
		"transcription_model": settings.transcription_model,
		"transcription_model_found": settings.transcription_model in models,
		"error": _("The model {0} is not among the {1} models this key can use").format(
			missing["model"], len(models)
		)
		if missing.get("model")
		else None,
	}


def _base_url(settings) -> str:
	return (settings.openai_base_url or "").strip() or "https://api.openai.com/v1"
