"""Admin-defined commands (Chatbot Command Definition) as registry Commands.

A definition becomes a tool for the users whose roles it allows, with no code change: its
parameters become a strict schema, and its handler is a whitelisted method, a Server Script of type
API, or a Query/Script Report, called as the contact's User; or an SQL Report: one parameterised
SELECT on a remote site's database, read with its read-only user (executors/sql_report.py).
"""

from __future__ import annotations

import frappe
from frappe import _

from whatsapp_chatbot import i18n
from whatsapp_chatbot.tools.registry import LONG, READ, WRITE, Command, Result
from whatsapp_chatbot.tools.schema import Param

DEFINITION = "Chatbot Command Definition"


def load() -> list[Command]:
	commands = []
	for name in frappe.get_all(DEFINITION, filters={"enabled": 1}, pluck="name", order_by="name asc"):
		definition = frappe.get_cached_doc(DEFINITION, name)
		commands.append(to_command(definition))
	return commands


def to_command(definition) -> Command:
	params = {
		p.parameter_name: Param(
			p.type,
			p.description or p.parameter_name,
			required=bool(p.required),
			enum=[o.strip() for o in (p.options or "").splitlines() if o.strip()] or None,
		)
		for p in definition.parameters
	}
	kind = LONG if definition.long_running else (WRITE if definition.needs_confirmation else READ)

	def handler(**arguments) -> Result:
		return run(definition, {k: v for k, v in arguments.items() if v is not None})

	def preview(**arguments) -> str:
		shown = ", ".join(f"{k}={v}" for k, v in arguments.items() if v is not None)
		if shown:
			return _("Run *{command}* with {arguments}?").format(
				command=definition.command_name, arguments=shown
			)
		return _("Run *{command}*?").format(command=definition.command_name)

	return Command(
		name=definition.command_name,
		description=definition.description,
		params=params,
		handler=handler,
		kind=kind,
		roles=tuple(r.role for r in definition.roles),
		preview=preview if kind == WRITE or definition.needs_confirmation else None,
		source="definition",
		extra={"needs_confirmation": bool(definition.needs_confirmation)},
		# a long one can run on a remote site that has this app and a definition of the same name
		# (started there and followed: executors/remote_long.py)
		remote=bool(definition.long_running) and definition.handler_type != "SQL Report",
	)


def run(definition, arguments: dict) -> Result:
	if definition.handler_type == "Whitelisted Method":
		function = frappe.get_attr(definition.method)
		if function not in frappe.whitelisted:
			raise frappe.PermissionError(f"{definition.method} is not whitelisted")
		return as_result(frappe.call(function, **arguments))
	if definition.handler_type == "Server Script":
		script = frappe.get_doc("Server Script", definition.server_script)
		frappe.local.form_dict = frappe._dict(arguments)
		frappe.response.pop("message", None)
		script.execute_method()
		return as_result(frappe.response.get("message"))
	if definition.handler_type == "SQL Report":
		from whatsapp_chatbot.executors import sql_report

		return sql_report.run(definition, arguments)
	return run_report(definition.report, arguments)


def run_report(report_name: str, filters: dict, limit: int = 15) -> Result:
	from frappe.desk.query_report import run

	report = frappe.get_doc("Report", report_name)
	if not report.is_permitted():
		raise frappe.PermissionError(f"You may not run the report {report_name}")
	output = run(report_name, filters=with_default_company(dict(filters)), ignore_prepared_report=True)
	columns = [
		c if isinstance(c, dict) else {"label": str(c).split(":")[0], "fieldname": str(c).split(":")[0]}
		for c in output.get("columns") or []
	]
	rows = [r for r in output.get("result") or [] if r]
	lines = []
	for row in rows[:limit]:
		values = (
			row
			if isinstance(row, dict)
			else dict(zip([c.get("fieldname") for c in columns], row, strict=False))
		)
		shown = [
			f"{_(c.get('label') or '')}: {_short(values.get(c.get('fieldname')))}"
			for c in columns[:5]
			if values.get(c.get("fieldname")) not in (None, "")
		]
		lines.append("• " + " · ".join(shown))
	text = f"*{_(report_name)}* ({_('{count} rows').format(count=len(rows))})\n" + "\n".join(lines)
	return Result(text, data={"report": report_name, "rows": len(rows), "first_rows": rows[:limit]})


def with_default_company(filters: dict) -> dict:
	"""Most ERPNext reports want a company; Script Reports declare their filters in JS, where the
	server cannot see them, so the user's default company is added unless one was given."""
	company = frappe.defaults.get_user_default("Company")
	if company:
		filters.setdefault("company", company)
	return filters


def as_result(value) -> Result:
	if isinstance(value, Result):
		return value
	if isinstance(value, str):
		return Result(value)
	return Result(frappe.as_json(value, indent=None)[:3000] if value is not None else _("Done."), data=value)


def _short(value) -> str:
	return i18n.number(value, decimals=2) if isinstance(value, float) else str(value)
