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
	"assistant_unavailable": {
		"en": "Sorry, the assistant is not available right now. Your message was saved; please try again in a few minutes.",
		"es": "Lo siento, el asistente no está disponible en este momento. Tu mensaje quedó guardado; inténtalo de nuevo en unos minutos.",
	},
	"budget_exceeded": {
		"en": "You have used today's assistant allowance. It resets tomorrow; slash commands (/help) still work.",
		"es": "Ya usaste el cupo diario del asistente. Se renueva mañana; los comandos con / (/help) siguen funcionando.",
	},
	"not_understood": {
		"en": "Sorry, I couldn't turn that into something I can do. Could you say it another way? (/help lists what I can do)",
		"es": "Lo siento, no logré entender qué hacer. ¿Puedes decirlo de otra forma? (/help muestra lo que puedo hacer)",
	},
	"confirm_question": {
		"en": "Shall I go ahead? (ref {ref}, valid {minutes} min)",
		"es": "¿Lo hago? (ref {ref}, válido {minutes} min)",
	},
	"confirm_button": {"en": "Confirm", "es": "Confirmar"},
	"cancel_button": {"en": "Cancel", "es": "Cancelar"},
	"cancelled": {
		"en": "Cancelled ({ref}). Nothing was changed.",
		"es": "Cancelado ({ref}). No se cambió nada.",
	},
	"expired": {
		"en": "That confirmation expired ({ref}). Nothing was changed; ask again if you still want it.",
		"es": "Esa confirmación venció ({ref}). No se cambió nada; pídelo de nuevo si todavía lo quieres.",
	},
	"confirmation_invalid": {
		"en": "That button is no longer valid. Nothing was changed.",
		"es": "Ese botón ya no es válido. No se cambió nada.",
	},
	"nothing_pending": {
		"en": "There is nothing waiting for your confirmation.",
		"es": "No hay nada pendiente de tu confirmación.",
	},
	"command_failed": {"en": "I couldn't do it: {error}", "es": "No pude hacerlo: {error}"},
	"not_permitted": {
		"en": "Sorry, your ERPNext user does not have permission for that.",
		"es": "Lo siento, tu usuario de ERPNext no tiene permiso para eso.",
	},
	"unknown_command": {
		"en": "Unknown command /{name}. Send /help for the list.",
		"es": "Comando /{name} desconocido. Envía /help para ver la lista.",
	},
	"help_header": {
		"en": "Write what you need in your own words, or use a command:",
		"es": "Escribe lo que necesitas con tus palabras, o usa un comando:",
	},
	"whoami": {
		"en": "You are *{full_name}* ({user}).\nRoles: {roles}\nLanguage: {lang}",
		"es": "Eres *{full_name}* ({user}).\nRoles: {roles}\nIdioma: {lang}",
	},
	"voice_too_long": {
		"en": "That voice note is too long for me. Could you send a shorter one, or write it?",
		"es": "Esa nota de voz es demasiado larga para mí. ¿Puedes mandar una más corta o escribirlo?",
	},
	"working": {
		"en": "⏳ Working on it (ref {ref}). I'll tell you how it goes.",
		"es": "⏳ Estoy en ello (ref {ref}). Te voy contando cómo va.",
	},
	"progress": {"en": "⏳ {ref}: {percent}% done{note}", "es": "⏳ {ref}: {percent}% listo{note}"},
	"long_failed": {
		"en": "Sorry, {ref} did not finish ({reason}). You can ask again.",
		"es": "Lo siento, {ref} no terminó ({reason}). Puedes pedirlo de nuevo.",
	},
	"long_cancelled": {
		"en": "Stopped {ref}. Nothing more will be sent.",
		"es": "Detuve {ref}. No se enviará nada más.",
	},
	"cancel_requested": {"en": "Stopping {ref}…", "es": "Deteniendo {ref}…"},
	"status_none": {
		"en": "Nothing is running for you right now.",
		"es": "No hay nada en curso para ti ahora.",
	},
	"status_line": {
		"en": "• {ref} {command}: {status}, {percent}% done",
		"es": "• {ref} {command}: {status}, {percent}% listo",
	},
	"person_requested": {
		"en": "I've let the team know: a person will write to you here as soon as possible. Meanwhile I can still help with anything else.",
		"es": "Ya avisé al equipo: una persona te escribirá por aquí lo antes posible. Mientras tanto puedo seguir ayudándote con lo que necesites.",
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
