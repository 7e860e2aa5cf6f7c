"""Which language (Spanish, Portuguese or English) a message is written in, from its words alone.

Pure module: no frappe import. The bot's own sentences follow the language the contact writes in:
a +1 number that writes Spanish gets Spanish. Counted: common function words of each language
(words Spanish and Portuguese share count for neither), letters only one of them uses (ñ ¿ ¡;
ã õ ç â ê ô), accents both use. A guess is `confident` when one side clearly wins on enough
evidence; a short "ok" or a document number says nothing and leaves the language as it was.
Other languages are not guessed: a contact set to French stays French (channel/contacts.py).
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
PORTUGUESE_WORDS = frozenset(
	"""
	o os as um uma uns umas do da dos das no na nos nas em e ou que é são por para com sem como
	quando onde quanto quanta quantos quantas qual quais quem quero preciso pode posso tem têm tenho
	me meu minha meus minhas você vocês seu sua nosso nossa este esta isto esse essa isso olá oi
	obrigado obrigada bom boa dia dias tarde noite favor sim não muito mais mas também já hoje ontem
	amanhã semana mês ano cliente clientes fatura faturas pedido pedidos preço preços conta deve
	devem vendas estoque armazém falta faltam faz faça dá diga envie envia manda mande cria criar
	ver lista fazer falar pessoa ainda agora lhe ajuda saber queria gostaria bem estou está estamos
	temos nada algo tarefa vencidas quero ligar
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
# words two languages use (or that are too short to tell): never counted
SHARED = frozenset({"a", "no", "me", "he", "son", "come", "sin", "sales", "final", "total", "ok"})
SPANISH_ONLY = SPANISH_WORDS - PORTUGUESE_WORDS - SHARED
PORTUGUESE_ONLY = PORTUGUESE_WORDS - SPANISH_WORDS - SHARED
ENGLISH_ONLY = ENGLISH_WORDS - SHARED
SPANISH_MARKS = re.compile(r"[ñ¿¡]")
PORTUGUESE_MARKS = re.compile(r"[ãõçâêôà]")
IBERIAN_MARKS = re.compile(r"[áéíóú]")  # both write them
WORD = re.compile(r"[a-zñáéíóúüãõçâêôà]+")

GUESSED = ("es", "pt", "en")  # a contact set to another language keeps it whatever they write
MIN_EVIDENCE = 2  # at least this many telling words (marks count as at most two)


@dataclass(frozen=True)
class Guess:
	language: str | None  # "es", "pt", "en" or None
	confident: bool


def guess(text: str | None) -> Guess:
	if not text or not text.strip() or text.strip().startswith("/"):
		return Guess(None, False)
	lowered = text.lower()
	words = WORD.findall(lowered)
	iberian = len(IBERIAN_MARKS.findall(lowered))
	scores = {
		"es": sum(w in SPANISH_ONLY for w in words) + min(2, len(SPANISH_MARKS.findall(lowered)) + iberian),
		"pt": sum(w in PORTUGUESE_ONLY for w in words)
		+ min(2, len(PORTUGUESE_MARKS.findall(lowered)) + iberian),
		"en": sum(w in ENGLISH_ONLY for w in words),
	}
	ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
	(language, winner), (_second, runner_up) = ranked[0], ranked[1]
	if winner == runner_up:
		return Guess(None, False)
	return Guess(language, winner >= MIN_EVIDENCE and winner >= 2 * runner_up + 1)
