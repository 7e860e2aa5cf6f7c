"""Chatbot Command Definitions that tests make. Users see every definition: /help lists it, the model
is offered it as a tool, the Desk shows it. So a test's definition has a name of its own run
(another run, or a definition someone made by hand, is never touched) and is removed on every way
out: `define` takes the TestCase's addCleanup (addClassCleanup, unittest.addModuleCleanup) and
registers the removal before the insert, so a failing test, set-up or class removes it too.

Definitions made on the bench's other site (through tests/remote_users.on_site) use `insert` there
and register `on_site(..., "whatsapp_chatbot.tests.definitions.remove", name=...)` the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import frappe

DEFINITION = "Chatbot Command Definition"
MARK = "for tests"  # every test definition's description says it; left_behind() looks for it


def unique(stem: str) -> str:
	"""A command name for this run: `stem` and six hex digits (lowercase, as command names are)."""
	return f"{stem}_{frappe.generate_hash(length=6).lower()}"


def define(cleanup: Callable, values: dict) -> str:
	"""Insert the definition `values` describes, its removal registered first with `cleanup`;
	returns its name."""
	cleanup(remove, values["command_name"])
	return insert(values)


def insert(values: dict) -> str:
	"""Insert and commit (the jobs that run it read it from other processes); the caller removes it."""
	description = values.get("description") or ""
	if MARK not in description:
		description = f"{description}, {MARK}" if description else MARK.capitalize()
	doc = frappe.get_doc({**values, "doctype": DEFINITION, "description": description})
	doc.insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


def remove(name: str) -> None:
	"""The definition and its parameter and role rows (no Deleted Document is left behind either,
	as frappe.delete_doc would leave outside a test run: on the other site)."""
	for table in frappe.get_meta(DEFINITION).get_table_fields():
		frappe.db.delete(table.options, {"parent": name, "parenttype": DEFINITION})
	frappe.db.delete(DEFINITION, {"name": name})
	frappe.db.commit()


def left_behind() -> list[str]:
	"""Definitions that tests made and did not remove (their description, or their handler in the
	tests package, gives them away)."""
	return frappe.get_all(
		DEFINITION,
		or_filters={"description": ("like", f"%{MARK}%"), "method": ("like", "whatsapp_chatbot.tests.%")},
		pluck="name",
		order_by="name asc",
	)
