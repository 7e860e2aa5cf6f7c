"""A deliberately slow long command for the tests and the long_command benchmark (registered as
an admin-defined command pointing here). It refuses to run on a site without allow_tests."""

import time

import frappe

from whatsapp_chatbot.realtime.progress import check_cancelled, report


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


def define_slow_command(name: str = "pasos_lentos") -> None:
	if frappe.db.exists("Chatbot Command Definition", name):
		return
	frappe.get_doc(
		{
			"doctype": "Chatbot Command Definition",
			"command_name": name,
			"description": "A slow job, for tests",
			"handler_type": "Whitelisted Method",
			"method": "whatsapp_chatbot.tests.long_task.slow_steps",
			"needs_confirmation": 0,
			"long_running": 1,
			"parameters": [
				{"parameter_name": "steps", "type": "integer", "required": 1, "description": "steps"},
				{
					"parameter_name": "seconds",
					"type": "number",
					"required": 1,
					"description": "seconds per step",
				},
			],
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
