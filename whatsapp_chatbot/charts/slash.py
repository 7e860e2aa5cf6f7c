"""`/chart …` without the model: which chart command a slash line means. Pure module.

    /chart sales week from_date=2026-01-01   →  sales_chart  by=week from_date=2026-01-01
    /chart ventas clientes                   →  sales_chart  by=customer
    /chart vendas mês                        →  sales_chart  by=month
    /chart stock TORN-M8                     →  stock_chart  TORN-M8
    /chart documents {"doctype": "ToDo"}     →  documents_chart {"doctype": "ToDo"}

The rest of the line is left to the usual /command argument parser, so the chart commands take
their arguments exactly as `/sales_chart …` would.
"""

from __future__ import annotations

import unicodedata

NAMES = frozenset({"chart", "graph", "grafica", "grafico"})  # accents are dropped before matching
KINDS = {
	"sales": "sales_chart",
	"ventas": "sales_chart",
	"vendas": "sales_chart",
	"stock": "stock_chart",
	"existencias": "stock_chart",
	"inventario": "stock_chart",
	"estoque": "stock_chart",
	"documents": "documents_chart",
	"documentos": "documents_chart",
	"doctype": "documents_chart",
}
# the sales chart's first word may be its `by`, in English, Spanish or Portuguese
SALES_BY = {
	"day": "day",
	"dia": "day",
	"week": "week",
	"semana": "week",
	"month": "month",
	"mes": "month",
	"customer": "customer",
	"customers": "customer",
	"cliente": "customer",
	"clientes": "customer",
	"item": "item",
	"items": "item",
	"articulo": "item",
	"articulos": "item",
	"itens": "item",
	"producto": "item",
	"productos": "item",
}


def plain(word: str) -> str:
	"""Lowercase without accents: 'Gráfica' → 'grafica'."""
	decomposed = unicodedata.normalize("NFKD", word or "")
	return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def is_chart(name: str) -> bool:
	return plain(name) in NAMES


def resolve(rest: str) -> tuple[str | None, str]:
	"""(command name, its argument text), or (None, rest) when the kind is missing or unknown."""
	kind, _, arguments = (rest or "").strip().partition(" ")
	command = KINDS.get(plain(kind))
	if command is None:
		return None, rest
	arguments = arguments.strip()
	if command == "sales_chart":
		first, _, after = arguments.partition(" ")
		if plain(first) in SALES_BY:
			arguments = f"by={SALES_BY[plain(first)]} {after}".strip()
	return command, arguments
