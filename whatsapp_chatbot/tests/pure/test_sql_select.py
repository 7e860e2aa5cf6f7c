"""The SQL report guard: one plain SELECT passes, everything else is refused before it is sent."""

import pytest

from whatsapp_chatbot.tools.sql_select import UnsafeQuery, check_select

ALLOWED = [
	("SELECT name, grand_total FROM `tabSales Invoice` WHERE customer = %(customer)s", ["customer"]),
	("select count(*) from tabItem;", []),
	("SELECT name FROM tabItem WHERE item_name LIKE 'M8%%'", []),
	("SELECT 'it''s; DROP TABLE x' AS s", []),
	('SELECT "a -- b", `update` FROM t', []),
	(
		"WITH t AS (SELECT customer, SUM(grand_total) g FROM `tabSales Invoice` GROUP BY customer) "
		"SELECT * FROM t WHERE g > %(minimum)s ORDER BY g DESC",
		["minimum"],
	),
	("SELECT a FROM x UNION ALL SELECT b FROM y WHERE c IN (SELECT d FROM z)", []),
	("SELECT %(a)s, %(b)s, %(a)s", ["a", "b", "a"]),
	("SELECT 'back\\'slash; DELETE' AS s", []),
]

REFUSED = [
	("", "empty"),
	("SELECT 1; SELECT 2", "one statement"),
	("SELECT 1; DROP TABLE tabItem", "one statement"),
	("DELETE FROM tabItem", "must start with SELECT"),
	("UPDATE tabItem SET disabled=1", "must start with SELECT"),
	("  show tables", "must start with SELECT"),
	("SELECT 1 /*! ; DROP TABLE tabItem */", "Comments"),
	("SELECT 1 -- ; drop", "Comments"),
	("SELECT 1 # hidden", "Comments"),
	("SELECT * FROM tabItem INTO OUTFILE '/tmp/x'", "INTO"),
	("SELECT * INTO @x FROM tabItem", "INTO"),
	("SELECT * FROM tabItem INTO DUMPFILE '/tmp/x'", "INTO"),
	("SELECT * FROM tabItem FOR UPDATE", "UPDATE"),
	("SELECT * FROM tabItem LOCK IN SHARE MODE", "LOCK"),
	("SELECT * FROM tabItem PROCEDURE ANALYSE()", "PROCEDURE"),
	("WITH x AS (SELECT 1) DELETE FROM tabItem", "DELETE"),
	("WITH x AS (DELETE FROM tabItem RETURNING *) SELECT * FROM x", "DELETE"),
	("SELECT SLEEP(100)", "SLEEP"),
	("SELECT BENCHMARK(1000000000, MD5('a'))", "BENCHMARK"),
	("SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE"),
	("SELECT GET_LOCK('x', 10)", "GET_LOCK"),
	("SELECT @a := 1", ":="),
	("SELECT @@version", "@"),
	("SELECT * FROM tabItem WHERE name LIKE 'M8%'", "%%"),
	("SELECT * FROM tabItem WHERE name = %s", "%(name)s"),
	("SELECT * FROM tabItem WHERE name = %(nope)s", "%(nope)s"),
	("SELECT * FROM tabItem WHERE name = '%(customer)s'", "%%"),
	("SELECT 'unclosed", "not closed"),
	("SELECT 1 \\; DROP TABLE x", "Backslashes"),
	("WITH x AS (SELECT 1)", "end in a SELECT"),
	("SELECT * FROM t; ", None),  # a trailing semicolon alone is fine: checked below
]


@pytest.mark.parametrize(("sql", "placeholders"), ALLOWED)
def test_single_select_passes(sql, placeholders):
	assert check_select(sql, {"customer", "minimum", "a", "b"}) == placeholders


@pytest.mark.parametrize(("sql", "reason"), [r for r in REFUSED if r[1]])
def test_anything_else_is_refused_with_a_reason(sql, reason):
	with pytest.raises(UnsafeQuery) as error:
		check_select(sql, {"customer"})
	assert reason.lower() in str(error.value).lower()


def test_trailing_semicolon_is_one_statement():
	assert check_select("SELECT * FROM t; ") == []


def test_words_inside_literals_and_quoted_names_are_not_sql():
	assert check_select("SELECT `delete`, 'insert into' AS x FROM `tabDrop`") == []
