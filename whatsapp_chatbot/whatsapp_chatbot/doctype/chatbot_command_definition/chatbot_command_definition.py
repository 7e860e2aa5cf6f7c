# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot.tools.schema import NAME_PATTERN

MAX_SQL_ROWS = 10000


class ChatbotCommandDefinition(Document):
	def validate(self):
		from whatsapp_chatbot.tools import catalogue

		self.command_name = (self.command_name or "").strip()
		if not NAME_PATTERN.match(self.command_name):
			frappe.throw(
				_("Command Name must start with a letter and use only lowercase letters, digits and _")
			)
		if self.command_name in catalogue.builtin_names():
			frappe.throw(_("{0} is a built-in command").format(self.command_name))
		seen = set()
		for param in self.parameters:
			if not NAME_PATTERN.match(param.parameter_name or ""):
				frappe.throw(
					_("Parameter {0}: use lowercase letters, digits and _").format(param.parameter_name)
				)
			if param.parameter_name in seen:
				frappe.throw(_("Parameter {0} appears twice").format(param.parameter_name))
			seen.add(param.parameter_name)
		self.validate_handler()

	def validate_handler(self):
		if self.handler_type == "Whitelisted Method":
			if not self.method:
				frappe.throw(_("Set the Method"))
			try:
				function = frappe.get_attr(self.method)
			except Exception:
				frappe.throw(_("Method {0} cannot be imported").format(self.method))
			if function not in frappe.whitelisted:
				frappe.throw(_("Method {0} is not whitelisted").format(self.method))
		elif self.handler_type == "Server Script":
			if not self.server_script:
				frappe.throw(_("Set the Server Script"))
			if frappe.db.get_value("Server Script", self.server_script, "script_type") != "API":
				frappe.throw(_("Server Script {0} must be of type API").format(self.server_script))
		elif self.handler_type == "Report":
			if not self.report:
				frappe.throw(_("Set the Report"))
			if frappe.db.get_value("Report", self.report, "report_type") not in (
				"Query Report",
				"Script Report",
			):
				frappe.throw(_("Report {0} must be a Query or Script Report").format(self.report))
		elif self.handler_type == "SQL Report":
			self.validate_sql_report()

	def validate_sql_report(self):
		from whatsapp_chatbot.tools.sql_select import UnsafeQuery, check_select

		if not self.remote_site:
			frappe.throw(_("Set the Remote Site whose database the query reads"))
		if not frappe.db.get_value("Chatbot Remote Site", self.remote_site, "db_user"):
			frappe.throw(_("Remote Site {0} has no read-only database user").format(self.remote_site))
		if not self.database:
			frappe.throw(_("Set the Database the query reads"))
		self.max_rows = min(max(int(self.max_rows or 1000), 1), MAX_SQL_ROWS)
		try:
			check_select(self.sql_query, {p.parameter_name for p in self.parameters})
		except UnsafeQuery as e:
			frappe.throw(_("SQL Query refused: {0}").format(str(e)), title=_("Not a single SELECT"))
