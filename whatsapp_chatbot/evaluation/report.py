"""A run's results as the Desk's report and the terminal's table show them."""

from __future__ import annotations

import json

import frappe

from whatsapp_chatbot.evaluation.scoring import PARTS

RUN, RESULT, CASE = "Chatbot Evaluation Run", "Chatbot Evaluation Result", "Chatbot Evaluation Case"
MARK = {"Yes": True, "No": False}


def rows(run: str) -> list[dict]:
	"""One row per case and repeat, by case id."""
	results = frappe.get_all(
		RESULT,
		filters={"run": run},
		fields=[
			"name",
			"case",
			"repeat",
			"expect",
			"expected_command",
			"passed",
			"score",
			"called",
			"reasons",
			"error",
			"prompt_tokens",
			"completion_tokens",
			"cost",
			"latency",
			*(f"{part}_right" for part in PARTS),
		],
		order_by="`case` asc, `repeat` asc",
	)
	titles = dict(
		frappe.get_all(
			CASE,
			filters={"name": ("in", list({r.case for r in results}) or [""])},
			fields=["name", "title"],
			as_list=True,
		)
	)
	return [
		{
			"name": r.name,
			"case": r.case,
			"title": titles.get(r.case) or "",
			"repeat": r.repeat,
			"expect": r.expect,
			"expected_command": r.expected_command,
			"passed": bool(r.passed),
			"score": r.score,
			"parts": {part: MARK.get(r.get(f"{part}_right")) for part in PARTS},
			"called": r.called,
			"reasons": [line for line in (r.reasons or "").splitlines() if line],
			"error": r.error,
			"tokens": int(r.prompt_tokens or 0) + int(r.completion_tokens or 0),
			"cost": float(r.cost or 0),
			"latency": float(r.latency or 0),
		}
		for r in results
	]


def figures(doc) -> dict:
	"""The run's totals, as evaluation/table.totals_text takes them."""
	out = {
		"results": doc.result_count or 0,
		"passed": doc.passed or 0,
		"pass_rate": doc.pass_rate or 0,
		**{field: doc.get(field) or 0 for field in ("prompt_tokens", "cached_tokens", "completion_tokens")},
		"cost": doc.cost or 0,
		"latency_avg": doc.latency_avg or 0,
		"latency_p95": doc.latency_p95 or 0,
		"errors": doc.errors or 0,
	}
	judged = _judged_parts(doc.name)
	for part in PARTS:
		out[f"{part}_rate"] = doc.get(f"{part}_rate") if part in judged else None
	return out


def changes(doc) -> dict | None:
	try:
		return json.loads(doc.comparison) if doc.comparison else None
	except ValueError:
		return None


def for_desk(run: str) -> dict:
	doc = frappe.get_doc(RUN, run)
	return {
		"rows": rows(run),
		"figures": figures(doc),
		"changes": changes(doc),
		"previous_run": doc.previous_run,
		"parts": list(PARTS),
	}


def _judged_parts(run: str) -> set[str]:
	"""The parts at least one result of the run judged (the others have no rate to show)."""
	judged = set()
	for part in PARTS:
		if frappe.db.exists(RESULT, {"run": run, f"{part}_right": ("in", ("Yes", "No"))}):
			judged.add(part)
	return judged
