"""Which cases a run takes, from `--cases` / the run's Cases filter. Pure module: no frappe import.

The filter is comma-separated terms; a term is a tag or a case id, and a case is taken when every
term names one of its tags or its id: "stock" takes the stock cases, "stock, es" the Spanish ones,
"stock-es-001" that one case. An empty filter takes every enabled case.
"""

from __future__ import annotations


def terms(text: str | None) -> list[str]:
	return [t.strip().lower() for t in (text or "").replace("\n", ",").split(",") if t.strip()]


def taken(case_id: str, tags: str | None, case_filter: str | None) -> bool:
	wanted = terms(case_filter)
	held = {*terms(tags), (case_id or "").lower()}
	return all(term in held for term in wanted)
