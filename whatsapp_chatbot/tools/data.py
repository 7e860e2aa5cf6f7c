"""Where a command reads and writes: this site, or a remote one.

Commands that can run on a remote site (`Command.remote`) reach data only through `current()`:
the local source below (the Frappe ORM as the session user: get_list, has_permission, the
document's own submit/cancel) or, while the remote executor runs them, its REST source
(executors/remote.py: frappe.client.* and query_report.run as the remote user the contact's key
belongs to, so the remote site's permissions apply). One handler, either site, no `if remote`.

Documents come back as what the source has: a Document here, a frappe._dict there; handlers use
`doc.get(...)`, `doc.name`, `doc.doctype`, `doc.docstatus` and child rows as lists, which both have.
"""

from __future__ import annotations

import frappe
from frappe import _

from whatsapp_chatbot.tools.errors import CommandError


class LocalSource:
	"""This site, through the ORM, as frappe.session.user (the executor has set it)."""

	remote = False
	site = None

	def meta(self, doctype: str):
		name = (doctype or "").strip()
		resolved = frappe.db.get_value("DocType", name, "name") or frappe.db.get_value(
			"DocType", {"name": ("like", name)}, "name"
		)
		if not resolved:
			raise CommandError(_("There is no document type called “{doctype}”.").format(doctype=name))
		return frappe.get_meta(resolved)

	def get_list(self, doctype: str, **options) -> list[dict]:
		return frappe.get_list(doctype, **options)

	def count(self, doctype: str, filters=None) -> int:
		rows = frappe.get_list(doctype, filters=filters, fields=["count(*) as count"])
		return rows[0]["count"] if rows else 0

	def exists(self, doctype: str, name: str) -> bool:
		return bool(frappe.db.exists(doctype, name))

	def value(self, doctype: str, name: str, fieldname: str):
		return frappe.db.get_value(doctype, name, fieldname)

	def get_doc(self, doctype: str, name: str):
		doc = frappe.get_doc(doctype, name)
		doc.check_permission("read")
		return doc

	def insert(self, values: dict):
		return frappe.get_doc(values).insert()

	def submit(self, doc):
		doc.submit()
		return doc

	def cancel(self, doc):
		doc.cancel()
		return doc

	def run_report(self, name: str, filters: dict) -> dict:
		from frappe.desk.query_report import run

		report = frappe.get_doc("Report", name)
		if report.report_type not in ("Query Report", "Script Report"):
			raise CommandError(_("{report} cannot be exported here.").format(report=_(name)))
		if not report.is_permitted():
			raise frappe.PermissionError(f"You may not run the report {name}")
		return run(name, filters=filters, ignore_prepared_report=True)

	def report_name(self, text: str) -> str | None:
		return frappe.db.get_value("Report", {"name": text}) or frappe.db.get_value(
			"Report", {"name": ("like", f"%{text}%")}
		)

	def pdf(self, doc) -> bytes:
		if not frappe.has_permission(doc.doctype, "print", doc):
			raise frappe.PermissionError(f"You may not print {doc.doctype}")
		# wkhtmltopdf fetches the print styles from the site's own URL (host_name): the worker must
		# be able to reach the site, as it can in a normal deployment.
		return frappe.get_print(doc.doctype, doc.name, as_pdf=True)


LOCAL = LocalSource()


def current():
	"""The source of the command running now: a remote one while the remote executor runs it."""
	return getattr(frappe.local, "whatsapp_chatbot_source", None) or LOCAL


class using:
	"""`with data.using(source): handler(...)`: the handler's reads and writes go to `source`."""

	def __init__(self, source):
		self.source = source

	def __enter__(self):
		self.previous = getattr(frappe.local, "whatsapp_chatbot_source", None)
		frappe.local.whatsapp_chatbot_source = self.source
		return self.source

	def __exit__(self, *exc):
		frappe.local.whatsapp_chatbot_source = self.previous
