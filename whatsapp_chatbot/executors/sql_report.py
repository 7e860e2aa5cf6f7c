"""Admin-defined SQL reports (Chatbot Command Definition of type "SQL Report") on a remote site's
database, through the same SSH connection as its REST calls.

Three walls, so a report can only ever read: the query must be one plain SELECT (tools/sql_select,
checked again here right before sending, not only when the definition was saved); it runs as the
remote site's read-only database user (SELECT grants only, set up by the admin on the remote
server); and inside a READ ONLY transaction with MariaDB's `max_statement_time`, so a heavy query
is stopped by the server itself. Parameters are bound by PyMySQL (`%(name)s`), never pasted in.
Rows are read unbuffered and at most `max_rows` of them: a query that would return millions costs
only what was read.
"""

from __future__ import annotations

import frappe
import pymysql
import pymysql.cursors
from frappe import _

from whatsapp_chatbot import i18n, texts
from whatsapp_chatbot.executors import tunnels
from whatsapp_chatbot.tools.errors import CommandError
from whatsapp_chatbot.tools.registry import Result
from whatsapp_chatbot.tools.sql_select import UnsafeQuery, check_select

SITE_DOCTYPE = "Chatbot Remote Site"
TEXT_ROWS = 15  # more rows than this arrive as an XLSX file
DEFAULT_MAX_ROWS = 1000

# MySQL/MariaDB error codes worth their own explanation
ACCESS_DENIED = {1044, 1045}  # wrong user/password, no access to that database
NOT_PERMITTED = {1142, 1143, 1227}  # SELECT denied on a table/column, missing privilege
CANNOT_CONNECT = {2003, 2005, 2006, 2013}  # refused, unknown host, gone away, lost during query
TIME_LIMIT = {1969, 3024}  # max_statement_time exceeded (MariaDB, MySQL)


def run(definition, arguments: dict) -> Result:
	site = frappe.get_doc(SITE_DOCTYPE, definition.remote_site)
	if not site.enabled:
		raise CommandError(_("The remote site {site} is disabled.").format(site=site.name))
	names = {p.parameter_name for p in definition.parameters}
	try:
		placeholders = check_select(definition.sql_query, names)
	except UnsafeQuery as e:
		raise CommandError(
			_("This report's query was refused before sending: {reason}").format(reason=e)
		) from None
	values = {name: arguments.get(name) for name in placeholders}
	max_rows = min(int(definition.max_rows or DEFAULT_MAX_ROWS), 10000)
	columns, rows, capped = fetch(site, definition.database, definition.sql_query, values, max_rows)
	return as_result(definition.command_name, columns, rows, capped)


def fetch(site, database: str, sql: str, values: dict, max_rows: int) -> tuple[list[str], list[tuple], bool]:
	"""(column names, at most max_rows rows, whether there were more) from the site's database."""
	timeout = float(site.timeout or 20)
	host, port = site.db_host or "127.0.0.1", int(site.db_port or 3306)
	try:
		if site.use_ssh_tunnel:
			host, port = "127.0.0.1", tunnels.forward(site, host, port)
		connection = pymysql.connect(
			host=host,
			port=port,
			user=site.db_user,
			password=site.get_password("db_password", raise_exception=False) or "",
			database=database,
			charset="utf8mb4",
			connect_timeout=timeout,
			read_timeout=timeout,
			write_timeout=timeout,
			autocommit=False,
		)
	except tunnels.TunnelError as e:
		raise CommandError(_tunnel_text(site, e)) from None
	except pymysql.MySQLError as e:
		raise _database_error(site, e) from None
	try:
		with connection.cursor() as cursor:
			# the server stops the query itself past the site's timeout (MariaDB; seconds)
			cursor.execute("SET SESSION max_statement_time = %s", (timeout,))
			cursor.execute("START TRANSACTION READ ONLY")
		cursor = connection.cursor(pymysql.cursors.SSCursor)
		cursor.execute(sql, values)  # always a dict: PyMySQL then also turns %% into %
		columns = [d[0] for d in cursor.description or []]
		rows = cursor.fetchmany(max_rows + 1)
		return columns, [tuple(r) for r in rows[:max_rows]], len(rows) > max_rows
	except pymysql.MySQLError as e:
		raise _database_error(site, e) from None
	finally:
		# an unbuffered result may still be streaming: drop the connection, don't drain it (and tell
		# PyMySQL's result not to try draining it later, from its finaliser, on a closed socket)
		result = getattr(connection, "_result", None)
		if result is not None:
			result.unbuffered_active = False
		try:
			connection.close()
		except Exception:
			pass


def _database_error(site, error: pymysql.MySQLError) -> CommandError:
	code = error.args[0] if error.args and isinstance(error.args[0], int) else None
	if code in CANNOT_CONNECT:
		reason = tunnels.explain(site, error)
		if reason:
			return CommandError(_tunnel_text(site, reason))
		return CommandError(_("The database of {site} cannot be reached right now.").format(site=site.name))
	if code in ACCESS_DENIED:
		return CommandError(
			_("The database of {site} refused the report's database user.").format(site=site.name)
		)
	if code in NOT_PERMITTED:
		return CommandError(
			_("The report's database user may not read that on {site}.").format(site=site.name)
		)
	if code in TIME_LIMIT:
		return CommandError(
			_("The report took longer than {seconds} s on {site} and was stopped.").format(
				seconds=site.timeout or 20, site=site.name
			)
		)
	# syntax errors, unknown tables or columns: the admin's query, said as the server said it
	message = error.args[1] if len(error.args) > 1 else str(error)
	return CommandError(_("The database of {site} said: {message}").format(site=site.name, message=message))


def _tunnel_text(site, error: tunnels.TunnelError) -> str:
	"""The tunnel failure as the contact reads it (the Desk keeps the same text on the command)."""
	key = f"tunnel_{error.kind}"
	# in the turn's (or the long job's) language: i18n.speaking has set it
	return texts.text(key if key in texts.TEXTS else "remote_tunnel", frappe.local.lang, site=site.name)


def as_result(title: str, columns: list[str], rows: list[tuple], capped: bool) -> Result:
	"""Like the other reports: a few rows as text, more as an XLSX file."""
	counted = (_("first {count} rows; there are more") if capped else _("{count} rows")).format(
		count=len(rows)
	)
	data = {"report": title, "columns": columns, "rows": len(rows), "capped": capped}
	if len(rows) <= TEXT_ROWS:
		lines = [
			"• "
			+ " · ".join(
				f"{c}: {_short(v)}" for c, v in zip(columns[:6], row, strict=False) if v not in (None, "")
			)
			for row in rows
		]
		data["first_rows"] = [dict(zip(columns, row, strict=False)) for row in rows]
		return Result(f"*{title}* ({counted})\n" + "\n".join(lines), data=data)
	from whatsapp_chatbot.tools.spreadsheet import XLSX_MIME, xlsx

	content = xlsx(title, columns, [list(r) for r in rows])
	return Result(f"*{title}*: {counted}", data=data, attachment=(f"{title}.xlsx", content, XLSX_MIME))


def _short(value) -> str:
	if isinstance(value, float):
		return i18n.number(value, decimals=2)
	return str(value)
