"""What the bot says by itself (not the model's answers), in the user's language.

Pure module: no frappe import. Spanish and English are complete; any other language falls back to
English. `guess_language` reads the country calling code of a phone number, for contacts whose
language nobody has set yet.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
	"unknown_contact": {
		"en": "Hello! This number is not linked to an account yet. Please ask your administrator to register it.",
		"es": "¡Hola! Este número todavía no está vinculado a una cuenta. Pide a tu administrador que lo registre.",
	},
	"not_configured": {
		"en": "Hi! The assistant is not configured yet: an administrator still has to set the OpenAI key. Your message was saved.",
		"es": "¡Hola! El asistente todavía no está configurado: falta que un administrador ponga la clave de OpenAI. Tu mensaje quedó guardado.",
	},
	"unsupported_type": {
		"en": "Sorry, I can't read this kind of message yet. Please write it as text.",
		"es": "Lo siento, todavía no puedo leer este tipo de mensaje. Escríbelo como texto, por favor.",
	},
	"failed": {
		"en": "Sorry, something went wrong while handling your message. It was saved and the team can retry it.",
		"es": "Lo siento, algo falló al procesar tu mensaje. Quedó guardado y el equipo puede reintentarlo.",
	},
}

# Calling codes of countries where Spanish is the main language (E.164 prefixes, longest first
# matters only for the North American numbering plan entries).
SPANISH_CALLING_CODES = (
	"1787", "1939", "1809", "1829", "1849",  # Puerto Rico, Dominican Republic
	"34", "52", "53", "54", "56", "57", "58", "51",
	"502", "503", "504", "505", "506", "507", "591", "593", "595", "598", "240",
)  # fmt: skip


def guess_language(wa_id: str | None) -> str | None:
	"""'es' for Spanish-speaking calling codes, None when the number says nothing."""
	digits = "".join(ch for ch in (wa_id or "") if ch.isdigit())
	if not digits:
		return None
	if any(digits.startswith(code) for code in SPANISH_CALLING_CODES):
		return "es"
	return None


def normalise_language(code: str | None) -> str:
	"""'es-MX' -> 'es'; unknown or empty -> 'en'."""
	base = (code or "").split("-")[0].split("_")[0].lower()
	return base if base in ("en", "es") else "en"


def text(key: str, language: str | None, **values) -> str:
	variants = TEXTS[key]
	template = variants.get(normalise_language(language)) or variants["en"]
	return template.format(**values) if values else template
