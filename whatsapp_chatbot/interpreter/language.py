"""Which language (Spanish or English) a message is written in, from its words alone.

Pure module: no frappe import. The bot's own sentences follow the language the contact writes in:
a +1 number that writes Spanish gets Spanish. Counted: common function words of each language,
Spanish-only letters (ñ, accents, ¿ ¡). A guess is `confident` when one side clearly wins on
enough evidence; a short "ok" or a document number says nothing and leaves the language as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPANISH_WORDS = frozenset(
	"""
	el la los las un una unos unas de del al y o que en es son por para con sin como cuando donde
	cuanto cuanta cuantos cuantas cuánto cuánta cuántos cuántas qué cómo dónde cuándo quién quiero
	necesito puedes puedo hay tengo tiene tienen me mi mis te tu tus su sus nos nuestro este esta
	esto ese esa eso hola gracias buenos buenas dias días tardes noches favor por favor sí si no
	muy más mas pero también tambien ya hoy ayer mañana manana semana mes año cliente clientes
	factura facturas pedido pedidos precio precios cuenta debe deben ventas inventario almacén
	almacen queda quedan hazme haz dame dime envía envia manda mándame mandame crea crear ver lista
	cuál cual cuáles cuales hacer hablar persona todavía todavia ahora le les lo se siento entiendo
	ayuda ayudame ayúdame saber quisiera oye bien gracias estoy estás estas somos tenemos nada algo
	""".split()
)
ENGLISH_WORDS = frozenset(
	"""
	the a an of and or to in on is are was were be for with without how what when where which who
	why do does did can could would should will i you he she we they my your our their me us this
	that these those there here hi hello thanks thank please yes no not very more but also today
	yesterday tomorrow week month year customer customers invoice invoices order orders price
	prices balance owe owes sales stock show send give tell make create list much many left
	have has need want talk person it its from by at any all
	""".split()
)
# words both languages use (or that are too short to tell): never counted
SHARED = frozenset({"a", "no", "me", "he", "son", "come", "sin", "sales", "final", "total", "ok"})
SPANISH_MARKS = re.compile(r"[ñáéíóúü¿¡]")
WORD = re.compile(r"[a-zñáéíóúü]+")

MIN_EVIDENCE = 2  # at least this many telling words (a mark counts as one)


@dataclass(frozen=True)
class Guess:
	language: str | None  # "es", "en" or None
	confident: bool


def guess(text: str | None) -> Guess:
	if not text or not text.strip() or text.strip().startswith("/"):
		return Guess(None, False)
	lowered = text.lower()
	words = [w for w in WORD.findall(lowered) if w not in SHARED]
	spanish = sum(1 for w in words if w in SPANISH_WORDS)
	english = sum(1 for w in words if w in ENGLISH_WORDS)
	spanish += min(2, len(SPANISH_MARKS.findall(lowered)))
	if spanish == english:
		return Guess(None, False)
	language = "es" if spanish > english else "en"
	winner, loser = max(spanish, english), min(spanish, english)
	return Guess(language, winner >= MIN_EVIDENCE and winner >= 2 * loser + 1)
