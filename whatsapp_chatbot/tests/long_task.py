"""A deliberately slow long command for the tests and the long_command benchmark (registered as
an admin-defined command pointing here). It refuses to run on a site without allow_tests."""

import time
from collections.abc import Callable

import frappe

from whatsapp_chatbot.realtime.progress import check_cancelled, report
from whatsapp_chatbot.tests import definitions


@frappe.whitelist()
def slow_steps(steps: int = 10, seconds: float = 0.5) -> str:
	if not frappe.conf.allow_tests:
		frappe.throw("slow_steps only runs on test sites")
	steps, seconds = int(steps), float(seconds)
	for step in range(1, steps + 1):
		check_cancelled()
		time.sleep(seconds)
		report(100 * step / steps, f"step {step}/{steps}")
	return f"Done: {steps} steps."


def define_slow_command(cleanup: Callable, name: str | None = None) -> str:
	"""The slow command as a definition, named for this run (pasos_lentos_<hex>) unless `name` is
	given; `cleanup` (the TestCase's addCleanup or addClassCleanup) removes it on every way out.
	Returns its name."""
	return definitions.define(cleanup, slow_command(name or definitions.unique("pasos_lentos")))


def slow_command(name: str) -> dict:
	return {
		"command_name": name,
		"description": "A slow job, for tests",
		"handler_type": "Whitelisted Method",
		"method": "whatsapp_chatbot.tests.long_task.slow_steps",
		"needs_confirmation": 0,
		"long_running": 1,
		"parameters": [
			{"parameter_name": "steps", "type": "integer", "required": 1, "description": "steps"},
			{"parameter_name": "seconds", "type": "number", "required": 1, "description": "seconds per step"},
		],
	}


def insert_slow_command(name: str) -> str:
	"""(on the other site, through remote_users.on_site) the caller registers its removal there."""
	return definitions.insert(slow_command(name))
