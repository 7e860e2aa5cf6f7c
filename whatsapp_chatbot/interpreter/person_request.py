"""Does this message ask to talk to a person? Decided without the model (no tokens, no guessing):
`/human` and the short phrases people actually write, in Spanish and English.

Pure module: no frappe import. Only short messages count: "quiero hablar con una persona" is a
request, while a long sentence that happens to mention a person ("send the invoice to the person
in charge") is a job for the bot.
"""

from __future__ import annotations

import re
import unicodedata

SLASH_COMMANDS = frozenset({"human", "humano", "persona", "agent", "agente", "person"})
MAX_WORDS = 10

# a verb of wanting/talking, then (a few words later) a word for a person
_PERSON = r"(persona|humano|humana|alguien|agente|asesor|asesora|operador|operadora|human|person|agent|someone|somebody|representative|operator|real person|staff)"
_PATTERNS = (
	re.compile(
		r"\b(hablar|habla|hable|comunicar|comunicarme|contactar|pasame|paseme|pasar|quiero|necesito|puedo)\b"
		r"(\s+\w+){0,4}\s+" + _PERSON + r"\b"
	),
	re.compile(r"\b(talk|speak|chat|connect|transfer|want|need|get)\b(\s+\w+){0,4}\s+" + _PERSON + r"\b"),
	re.compile(
		r"^(un |una |a |an )?(persona|humano|human|agente|agent|person|operador|operator)( por favor| please)?$"
	),
)


def fold(text: str) -> str:
	"""Lowercase, accents off, punctuation to spaces."""
	decomposed = unicodedata.normalize("NFKD", text.lower())
	plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
	return " ".join(re.sub(r"[^\w/]+", " ", plain).split())


def asks_for_person(text: str | None) -> bool:
	if not text:
		return False
	stripped = text.strip()
	if stripped.startswith("/"):
		return stripped[1:].split(maxsplit=1)[0].lower() in SLASH_COMMANDS if len(stripped) > 1 else False
	folded = fold(stripped)
	if not folded or len(folded.split()) > MAX_WORDS:
		return False
	return any(pattern.search(folded) for pattern in _PATTERNS)
