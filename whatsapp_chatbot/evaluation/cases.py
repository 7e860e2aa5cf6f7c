"""Evaluation cases as the runner uses them: which ones a run takes, what each expects, and the
tools its user would be offered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import frappe

from whatsapp_chatbot.evaluation import selection
from whatsapp_chatbot.evaluation.scoring import READ, Expectation
from whatsapp_chatbot.tools import catalogue

CASE = "Chatbot Evaluation Case"


@dataclass
class Case:
	case_id: str
	language: str
	messages: list[dict]  # {"role", "content"}; the last is the user's
	expectation: Expectation
	run_as: str | None = None
	roles: list[str] = field(default_factory=list)
	simulated: dict = field(default_factory=dict)  # tool name -> result text
	today: str | None = None


def select(case_filter: str | None = None) -> list[Case]:
	"""The enabled cases the filter takes (evaluation/selection.py), by id; a disabled case only
	when the filter names it by its id."""
	named = set(selection.terms(case_filter))
	rows = frappe.get_all(CASE, fields=["name", "tags", "enabled"], order_by="name asc")
	return [
		load(r.name)
		for r in rows
		if (r.enabled or r.name in named) and selection.taken(r.name, r.tags, case_filter)
	]


def load(name: str) -> Case:
	doc = frappe.get_doc(CASE, name)
	simulated = {k: _as_text(v) for k, v in _object(doc.simulated_results).items()}
	return Case(
		case_id=doc.name,
		language=doc.language,
		messages=[{"role": m.role, "content": m.content or ""} for m in doc.messages],
		expectation=Expectation(
			expect=doc.expect,
			command=(doc.expected_command or "").strip() or None,
			arguments=_object(doc.expected_arguments),
			language=doc.language,
			answer_contains=(doc.answer_contains or "").strip() or None,
			simulated=frozenset(simulated),
		),
		run_as=doc.run_as or None,
		roles=[r.strip() for r in (doc.roles or "").splitlines() if r.strip()],
		simulated=simulated,
		today=str(doc.today) if doc.today else None,
	)


def tools_for(case: Case) -> list:
	"""The commands the case's user would be offered, as catalogue.for_user offers them (with the
	`site` parameter when that User's contact may use remote sites), or for a set of roles."""
	if case.run_as:
		contact = frappe.db.get_value("Chatbot Contact", {"user": case.run_as, "enabled": 1}, "name")
		return catalogue.for_user(case.run_as, contact)
	return catalogue.for_roles(case.roles)


def kinds(commands: list) -> dict[str, str]:
	"""Read, Write or Long per offered command; an admin-defined one that asks for a Confirm counts
	as a write (the turn ends on its preview)."""
	return {c.name: ("Write" if c.needs_confirmation and c.kind == READ else c.kind) for c in commands}


def _object(text: str | None) -> dict:
	try:
		value = json.loads(text) if (text or "").strip() else {}
	except ValueError:
		return {}
	return value if isinstance(value, dict) else {}


def _as_text(value) -> str:
	return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
