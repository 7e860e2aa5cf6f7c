"""The check an admin-defined SQL report passes before it is ever sent to a database: exactly one
plain `SELECT` (optionally `WITH … SELECT`), parameters only as driver placeholders `%(name)s`.

Pure module (no frappe). It is the first of three walls, not the only one: the query also runs as a
database user that holds nothing but SELECT grants, inside a READ ONLY transaction with a statement
time limit (executors/sql_report.py).

Refused, with a reason an admin can act on: more than one statement, comments of any kind (MySQL
runs `/*! … */` as code and `--`/`#` can hide the rest of a line), anything but SELECT/WITH first,
writes or DDL anywhere (also inside a CTE or subquery), `INTO OUTFILE/DUMPFILE/@var`, locking
clauses (`FOR UPDATE`, `LOCK IN SHARE MODE`), `PROCEDURE`, variable assignment (`:=`), functions that
touch files, locks or the server's time (`LOAD_FILE`, `SLEEP`, `BENCHMARK`, `GET_LOCK`…), and `%`
that is not a placeholder (pymysql formats the whole text with `%`, so a literal percent is `%%`).
"""

from __future__ import annotations

import re

from whatsapp_chatbot.msgids import _

FORBIDDEN_WORDS = {
	# writes and DDL
	"insert",
	"update",
	"delete",
	"replace",
	"merge",
	"upsert",
	"create",
	"alter",
	"drop",
	"truncate",
	"rename",
	"grant",
	"revoke",
	"load",
	"handler",
	"call",
	"do",
	"set",
	"execute",
	"prepare",
	"deallocate",
	"commit",
	"rollback",
	"savepoint",
	"start",
	"begin",
	"flush",
	"kill",
	"shutdown",
	"install",
	"uninstall",
	"analyze",
	"optimize",
	"repair",
	"lock",
	"unlock",
	"use",
	"show",
	"explain",
	"describe",
	"help",
	# exfiltration and side doors inside a SELECT
	"into",
	"outfile",
	"dumpfile",
	"procedure",
	"share",
	"nowait",
	# functions with side effects or that stall the server
	"load_file",
	"sleep",
	"benchmark",
	"get_lock",
	"release_lock",
	"release_all_locks",
	"is_free_lock",
	"is_used_lock",
	"master_pos_wait",
	"master_gtid_wait",
	"nextval",
	"setval",
	"lastval",
	"sys_exec",
	"sys_eval",
}

PLACEHOLDER = re.compile(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)s")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


class UnsafeQuery(ValueError):
	"""The query is not a single plain SELECT; the message says why."""


def check_select(sql: str, parameters: set[str] | frozenset[str] = frozenset()) -> list[str]:
	"""Raise UnsafeQuery unless `sql` is one SELECT whose placeholders are all in `parameters`.

	Returns the placeholder names in order of appearance."""
	text = (sql or "").strip()
	if not text:
		raise UnsafeQuery(_("The query is empty."))
	code, placeholders = _code_outside_literals(text)
	code = code.rstrip()
	if code.endswith(";"):
		code = code[:-1].rstrip()
	if ";" in code:
		raise UnsafeQuery(_("Only one statement is allowed (there is a ';' in the middle)."))
	words = [w.lower() for w in WORD.findall(code)]
	if not words or words[0] not in ("select", "with"):
		raise UnsafeQuery(_("The query must start with SELECT (or WITH … SELECT)."))
	for word in words:
		if word in FORBIDDEN_WORDS:
			raise UnsafeQuery(
				_(
					"{word} is not allowed in a report query (a column of that name goes in `backticks`)."
				).format(word=word.upper())
			)
	if words[0] == "with" and "select" not in _top_level_words(code):
		raise UnsafeQuery(_("A WITH query must end in a SELECT."))
	if ":=" in code:
		raise UnsafeQuery(_("Assigning variables (:=) is not allowed in a report query."))
	if "@" in code:
		raise UnsafeQuery(_("Variables (@name) are not allowed in a report query."))
	unknown = sorted(set(placeholders) - set(parameters))
	if unknown:
		raise UnsafeQuery(
			_("Placeholders without a parameter of that name: {names}").format(
				names=", ".join(f"%({n})s" for n in unknown)
			)
		)
	return placeholders


def _code_outside_literals(text: str) -> tuple[str, list[str]]:
	"""The query with string literals and quoted identifiers blanked (so words inside them are not
	read as SQL) and every placeholder replaced by `?`; refuses comments and stray `%`."""
	out: list[str] = []
	placeholders: list[str] = []
	i, n = 0, len(text)
	while i < n:
		ch = text[i]
		if ch in "'\"`":
			end = _closing_quote(text, i)
			literal = text[i + 1 : end]
			if ch != "`" and "%" in literal.replace("%%", ""):
				raise UnsafeQuery(_("Write a literal % as %% (the driver formats the query with %)."))
			out.append(ch + " " * (end - i - 1) + ch)
			i = end + 1
			continue
		if text.startswith(("--", "/*"), i) or ch == "#":
			raise UnsafeQuery(
				_("Comments are not allowed in a report query (MySQL can run code inside them).")
			)
		if ch == "%":
			match = PLACEHOLDER.match(text, i)
			if match:
				placeholders.append(match.group(1))
				out.append(" ? ")
				i = match.end()
				continue
			if text.startswith("%%", i):
				out.append(" %% ")
				i += 2
				continue
			raise UnsafeQuery(_("Parameters are written %(name)s; a literal % is written %%."))
		if ch == "\\":
			raise UnsafeQuery(_("Backslashes are only allowed inside quoted strings."))
		out.append(ch)
		i += 1
	return "".join(out), placeholders


def _top_level_words(code: str) -> list[str]:
	"""Words outside any parentheses: for WITH, the statement the CTEs feed."""
	depth, top = 0, []
	for ch in code:
		depth += ch == "("
		depth -= ch == ")"
		top.append(ch if depth == 0 and ch != ")" else " ")
	return [w.lower() for w in WORD.findall("".join(top))]


def _closing_quote(text: str, start: int) -> int:
	quote = text[start]
	i = start + 1
	while i < len(text):
		ch = text[i]
		if ch == "\\" and quote != "`":
			i += 2
			continue
		if ch == quote:
			if text.startswith(quote * 2, i):  # doubled quote inside the literal
				i += 2
				continue
			return i
		i += 1
	raise UnsafeQuery(_("A quoted string or name is not closed."))
