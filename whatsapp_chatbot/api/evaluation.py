"""Desk endpoints of the evaluation (evaluation/): run, report, Save as Case. Managers only."""

from __future__ import annotations

import frappe

from whatsapp_chatbot import permissions


@frappe.whitelist(methods=["POST"])
def start_run(run: str) -> str:
	"""Queue an evaluation run on the long queue (a run that already ran is copied first); returns
	the name of the run queued."""
	from whatsapp_chatbot.evaluation import runner

	permissions.require_manager()
	frappe.get_doc("Chatbot Evaluation Run", run).check_permission("write")
	return runner.start(run)


@frappe.whitelist()
def run_report(run: str) -> dict:
	"""Per case and repeat: passed, each judged part, what the model called, why it failed, usage;
	the totals and what got better or worse against the previous run."""
	from whatsapp_chatbot.evaluation import report

	permissions.require_manager()
	frappe.get_doc("Chatbot Evaluation Run", run).check_permission("read")
	return report.for_desk(run)


@frappe.whitelist()
def case_from_command(command: str) -> dict:
	"""The Save as Case dialog's proposal: the exchange that led to the command, the command and
	the arguments the bot chose."""
	from whatsapp_chatbot.evaluation import save_case

	permissions.require_manager()
	frappe.get_doc("Chatbot Command", command).check_permission("read")
	return save_case.proposal(command)


@frappe.whitelist(methods=["POST"])
def save_case(command: str, case: dict | str) -> str:
	"""Create an evaluation case from a command, as the manager corrected it; returns its id."""
	from whatsapp_chatbot.evaluation import save_case as saving

	permissions.require_manager()
	values = frappe.parse_json(case) if isinstance(case, str) else case
	if not isinstance(values, dict):
		raise frappe.ValidationError("case must be a JSON object")  # only a hand-made call gets here
	return saving.save(command, values)
