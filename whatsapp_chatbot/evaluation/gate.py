"""The regression gate: do the current instructions and tool descriptions have a run on record?

Every run stores the fingerprint of the instructions (interpreter/prompt.py) and of every built-in
tool's name, description and parameters as sent to the model (evaluation/fingerprint.py). Changing
any of them changes the fingerprint, and `line()` says so until a completed run of the new one
exists: `bench --site SITE whatsapp-chatbot evaluate --check` prints it, as do the evaluate command
and benchmarks/evaluation.py after a run.
"""

from __future__ import annotations

import frappe

from whatsapp_chatbot.evaluation.fingerprint import fingerprint
from whatsapp_chatbot.interpreter import prompt
from whatsapp_chatbot.tools import catalogue
from whatsapp_chatbot.tools.registry import REGISTRY

RUN = "Chatbot Evaluation Run"
FIELDS = ["name", "model", "fingerprint", "finished_at", "result_count", "pass_rate", "cases_filter"]


def current_fingerprint() -> str:
	catalogue.builtin_names()  # every built-in command registered
	return fingerprint(prompt.INSTRUCTIONS, [c.tool() for _, c in sorted(REGISTRY.items())])


def on_record(code: str | None = None):
	"""The latest completed run of these instructions and tools, or None."""
	rows = frappe.get_all(
		RUN,
		filters={"status": "Completed", "fingerprint": code or current_fingerprint()},
		fields=FIELDS,
		order_by="finished_at desc",
		limit=20,
	)
	# a run whose every case met an endpoint error (a wrong URL, no credit) evaluated nothing
	return next((r for r in rows if answered(r)), None)


def answered(run) -> bool:
	"""Did the endpoint answer at least one case of the run?"""
	unanswered = frappe.db.count("Chatbot Evaluation Result", {"run": run.name, "error": ("is", "set")})
	return unanswered < (run.result_count or 0)


def line() -> str:
	current = current_fingerprint()
	run = on_record(current)
	if run:
		return (
			f"evaluation gate: instructions and tool descriptions {current} were evaluated in {run.name} "
			f"({run.model}, {run.finished_at:%Y-%m-%d}, {run.result_count} results, "
			f"{run.pass_rate:.1f} % passed{_filtered(run)})"
		)
	latest = next(
		(
			r
			for r in frappe.get_all(
				RUN, filters={"status": "Completed"}, fields=FIELDS, order_by="finished_at desc", limit=20
			)
			if answered(r)
		),
		None,
	)
	before = (
		f"; the latest run on record, {latest.name} ({latest.model}, {latest.pass_rate:.1f} % passed), "
		f"evaluated {latest.fingerprint}"
		if latest
		else " (no run on record on this site at all)"
	)
	return (
		f"evaluation gate: instructions and tool descriptions {current} have NO evaluation run on record"
		f"{before}. Run: bench --site {frappe.local.site} whatsapp-chatbot evaluate"
	)


def _filtered(run) -> str:
	return f", cases {run.cases_filter}" if run.cases_filter else ""
