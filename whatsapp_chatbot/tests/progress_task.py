"""A long admin-defined command that writes as it goes: a ToDo per step between progress reports,
for tests/test_progress_isolation.py. It refuses to run on a site without allow_tests."""

import time
from collections.abc import Callable

import frappe

from whatsapp_chatbot.realtime.progress import check_cancelled, report
from whatsapp_chatbot.tests import definitions


@frappe.whitelist()
def todo_steps(marker: str, steps: int = 10, seconds: float = 0.5, fail_at: int = 0) -> str:
	"""Each step: a ToDo described "<marker> step N", then a progress report. `fail_at`: refuse at
	that step, after its progress was reported (the command's writes so far must be undone)."""
	if not frappe.conf.allow_tests:
		frappe.throw("todo_steps only runs on test sites")
	steps, seconds, fail_at = int(steps), float(seconds), int(fail_at or 0)
	for step in range(1, steps + 1):
		check_cancelled()
		todo = {
			"doctype": "ToDo",
			"description": f"{marker} step {step}",
			"allocated_to": frappe.session.user,
		}
		frappe.get_doc(todo).insert()  # as the user, under Frappe's permissions
		time.sleep(seconds)
		report(100 * step / steps, f"step {step}/{steps}")
		if step == fail_at:
			frappe.throw(f"step {step} refused on purpose")
	return f"Done: {steps} ToDos."


def define_todo_command(cleanup: Callable) -> str:
	"""The command as a definition named for this run; `cleanup` (the TestCase's addCleanup or
	addClassCleanup) removes it on every way out. Returns its name."""
	return definitions.define(
		cleanup,
		{
			"command_name": definitions.unique("pasos_con_pendientes"),
			"description": "A slow job that writes a ToDo per step, for tests",
			"handler_type": "Whitelisted Method",
			"method": "whatsapp_chatbot.tests.progress_task.todo_steps",
			"needs_confirmation": 0,
			"long_running": 1,
			"parameters": [
				{"parameter_name": "marker", "type": "string", "required": 1, "description": "marker"},
				{"parameter_name": "steps", "type": "integer", "required": 1, "description": "steps"},
				{"parameter_name": "seconds", "type": "number", "required": 1, "description": "s/step"},
				{"parameter_name": "fail_at", "type": "integer", "required": 0, "description": "fail"},
			],
		},
	)
