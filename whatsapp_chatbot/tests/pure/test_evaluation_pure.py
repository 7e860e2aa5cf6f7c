"""The evaluation's judging, comparison, hashes, case selection and text report (pure modules)."""

from __future__ import annotations

import pytest

from whatsapp_chatbot.evaluation import fingerprint, scoring, selection, table
from whatsapp_chatbot.evaluation.scoring import Call, Capture, Expectation, score

STOCK = Expectation(
	"Command", "stock_balance", {"item": "TORN-M8", "warehouse": None}, language="es", simulated=frozenset()
)


def test_the_right_command_with_the_right_arguments_passes():
	judged = score(STOCK, Capture([Call("stock_balance", {"item": "TORN-M8", "warehouse": None}, "Read")]))
	assert judged.passed
	assert judged.parts == {
		"command": True,
		"arguments": True,
		"asked": None,
		"refused": None,
		"language": None,
		"answer": None,
	}
	assert judged.fraction == 1.0


def test_wrong_command_wrong_arguments_and_an_unasked_write():
	wrong = score(STOCK, Capture([Call("item_price", {"item": "TORN-M8"}, "Read")]))
	assert (wrong.passed, wrong.command, wrong.arguments) == (False, False, False)
	assert wrong.reasons == ["expected stock_balance, got item_price"]

	arguments = score(STOCK, Capture([Call("stock_balance", {"item": "TORN-M6", "warehouse": None}, "Read")]))
	assert (arguments.passed, arguments.command, arguments.arguments) == (False, True, False)
	assert arguments.reasons == ['item: expected "TORN-M8", got "TORN-M6"']
	assert arguments.fraction == 0.5

	todo = Expectation("Command", "create_todo", {"description": {"contains": "llamar a acme"}})
	extra = score(
		todo,
		Capture(
			[
				Call("create_todo", {"description": "Llamar a ACME", "date": None}, "Write"),
				Call("submit_document", {"doctype": "Sales Order", "name": "SO-1"}, "Write"),
			]
		),
	)
	assert (extra.passed, extra.command, extra.arguments) == (False, False, True)
	assert "also called submit_document, which changes data" in extra.reasons


def test_questions_refusals_and_answers():
	question = Expectation("Question", language="es")
	assert score(question, Capture(text="¿Para qué cliente?")).passed
	statement = score(question, Capture(text="Listo, ya quedó."))
	assert (statement.passed, statement.asked) == (False, False)
	acted = score(question, Capture([Call("create_todo", {"description": "x"}, "Write")]))
	assert (acted.passed, acted.command, acted.asked) == (False, False, False)

	refusal = Expectation("Refusal", language="es")
	assert score(refusal, Capture(text="Lo siento, tu usuario no tiene acceso a las facturas.")).passed
	in_english = score(refusal, Capture(text="Sorry, your user has no access to invoices."))
	assert (in_english.passed, in_english.refused, in_english.language) == (False, True, False)
	assert score(refusal, Capture(text="Aquí están las facturas vencidas: ninguna.")).refused is False

	answer = Expectation("Answer", language="en")
	assert score(answer, Capture(text="You're welcome, happy to help.")).passed
	assert score(answer, Capture(text="")).passed is False


def test_simulated_reads_may_come_before_the_answer_and_others_may_not():
	expected = Expectation(
		"Command",
		"party_balance",
		{},
		language="es",
		answer_contains="1.250",
		simulated=frozenset({"party_balance"}),
	)
	right = Capture(
		[Call("party_balance", {"party_type": "Customer", "party": "Acme"}, "Read")],
		text="Acme debe $1.250,00 en total.",
	)
	assert score(expected, right).passed
	missing = score(expected, Capture(right.calls, text="Acme no debe nada."))
	assert (missing.passed, missing.answer) == (False, False)

	answer = Expectation("Answer", language="es", simulated=frozenset({"find_documents"}))
	read_first = Capture([Call("find_documents", {}, "Read")], text="Tienes dos pendientes, nada más.")
	assert score(answer, read_first).passed
	unsimulated = score(answer, Capture([Call("stock_balance", {}, "Read")], text="ok"))
	assert (unsimulated.passed, unsimulated.reasons[0]) == (
		False,
		"called stock_balance instead of answering",
	)


def test_malformed_calls_and_endpoint_errors_fail():
	broken = score(
		STOCK, Capture([Call("stock_balance", "{not json", "Read", "arguments are not valid JSON")])
	)
	assert (broken.passed, broken.command) == (False, False)
	assert "stock_balance: arguments are not valid JSON" in broken.reasons
	unknown = score(STOCK, Capture([Call("stock_levels", {}, None, "not a tool this user is offered")]))
	assert not unknown.passed
	error = score(STOCK, Capture(error="APIStatusError: fake error 500"))
	assert (error.passed, error.command, error.arguments, error.reasons) == (
		False,
		False,
		False,
		["APIStatusError: fake error 500"],
	)
	with pytest.raises(ValueError):
		score(Expectation("Maybe"), Capture())


@pytest.mark.parametrize(
	"spec, value, right",
	[
		("TORN-M8", "TORN-M8", True),
		("TORN-M8", "torn-m8", False),
		(20, 20.0, True),
		(1, True, False),
		(None, None, True),
		(None, "x", False),
		({"one_of": ["Acme Corp", "Acme"]}, "Acme", True),
		({"one_of": ["Acme Corp", "Acme"]}, "ACME", False),
		({"contains": "tornillo"}, "Tornillos M8 ", True),
		({"contains": "reunion"}, "Reunión con Acme", True),
		({"contains": "acme"}, None, False),
		({"contains": "TORN-M8"}, [{"item": "torn-m8", "qty": 5}], True),
		(
			[{"item": "SKU-1", "qty": 20}, {"item": {"contains": "tuerca"}}],
			[{"item": "Tuerca M8", "qty": 3, "rate": None}, {"item": "SKU-1", "qty": 20.0, "rate": None}],
			True,
		),
		([{"item": "SKU-1", "qty": 20}], [{"item": "SKU-1", "qty": 2}], False),
		([{"item": "SKU-1"}], [{"item": "SKU-1"}, {"item": "SKU-2"}], False),
		({"item": "SKU-1"}, {"item": "SKU-1", "qty": 4}, True),
	],
)
def test_argument_matching(spec, value, right):
	assert scoring.matches(spec, value) is right


def test_language_is_judged_only_when_the_words_tell():
	assert scoring.language_right("Claro, con gusto te ayudo con eso.", "es") is True
	assert scoring.language_right("Sure, here is what you asked for.", "es") is False
	assert scoring.language_right("Listo ✅", "es") is None
	assert scoring.language_right("Claro, con gusto te ayudo.", "fr") is None
	assert scoring.language_right(None, "es") is None


def test_totals_and_comparison():
	scores = [
		score(STOCK, Capture([Call("stock_balance", {"item": "TORN-M8", "warehouse": None}, "Read")])),
		score(STOCK, Capture([Call("item_price", {}, "Read")])),
		score(Expectation("Question", language="es"), Capture(text="¿Qué cliente?")),
		score(Expectation("Refusal", language="en"), Capture(text="Here they are.")),
	]
	figures = scoring.totals(scores)
	assert figures["results"] == 4 and figures["passed"] == 2 and figures["pass_rate"] == 50.0
	assert figures["command_rate"] == 75.0  # the refusal acted on nothing: its command part is right
	assert figures["arguments_rate"] == 50.0
	assert (figures["asked_rate"], figures["refused_rate"], figures["answer_rate"]) == (100.0, 0.0, None)

	changes = scoring.compare(
		{"a": [True], "b": [False, True], "c": [True], "gone": [True]},
		{"a": [False], "b": [True, True], "c": [True], "new": [False]},
	)
	assert changes == {"better": ["b"], "worse": ["a"], "new": ["new"], "gone": ["gone"]}


def test_the_fingerprint_follows_every_word_of_the_instructions_and_tools():
	tools = [{"type": "function", "function": {"name": "stock_balance", "description": "An item's stock."}}]
	base = fingerprint.fingerprint("Be brief.", tools)
	assert base == fingerprint.fingerprint("Be brief.", [dict(tools[0])])
	assert base != fingerprint.fingerprint("Be brief!", tools)
	changed = [{"type": "function", "function": {"name": "stock_balance", "description": "Stock."}}]
	assert base != fingerprint.fingerprint("Be brief.", changed)
	assert len(base) == 16


def test_a_cases_content_hash_ignores_spacing_of_its_json_and_sees_every_change():
	values = {"title": "Stock", "language": "es", "expect": "Command", "expected_arguments": '{"item": "A"}'}
	messages = [{"role": "user", "content": "stock de A"}]
	base = fingerprint.content_hash(values, messages)
	assert base == fingerprint.content_hash(
		{**values, "expected_arguments": '{\n "item":"A"}', "enabled": 1}, messages
	)
	assert base != fingerprint.content_hash({**values, "enabled": 0}, messages)
	assert base != fingerprint.content_hash({**values, "expected_arguments": '{"item": "B"}'}, messages)
	assert base != fingerprint.content_hash(values, [{"role": "user", "content": "stock de B"}])
	assert base == fingerprint.content_hash({**values, "starter_hash": "x", "modified": "now"}, messages)


def test_cases_are_taken_by_all_their_terms():
	assert selection.taken("stock-es-001", "stock, es, typo", None)
	assert selection.taken("stock-es-001", "stock, es, typo", "stock")
	assert selection.taken("stock-es-001", "stock, es, typo", "Stock, ES")
	assert not selection.taken("stock-es-001", "stock, es, typo", "stock, en")
	assert selection.taken("stock-es-001", "stock, es", "stock-es-001")
	assert selection.terms(" a, ,b\nc ") == ["a", "b", "c"]


def test_the_text_report():
	results = [
		{
			"case": "stock-es-001",
			"repeat": 1,
			"expect": "Command",
			"passed": True,
			"parts": {"command": True, "arguments": True},
			"called": "stock_balance",
			"tokens": 2100,
			"cost": 0.00084,
			"latency": 0.8,
		},
		{
			"case": "trap-es-002",
			"repeat": 1,
			"expect": "Refusal",
			"passed": False,
			"parts": {"command": False, "refused": False, "language": True},
			"called": "find_documents",
			"reasons": ["called find_documents instead of answering"],
		},
	]
	text = table.results_table(results)
	lines = text.splitlines()
	assert lines[0].startswith("case")
	assert "stock-es-001" in lines[1] and "pass" in lines[1] and "✓   ✓   ·   ·   ·   ·" in lines[1]
	assert "FAIL" in lines[2] and "✗   ·   ·   ✗   ✓   ·" in lines[2]
	assert lines[3].strip() == "↳ called find_documents instead of answering"
	figures = {**scoring.totals([]), "results": 2, "passed": 1, "pass_rate": 50.0, "command_rate": 50.0}
	summary = table.totals_text(figures, {"better": ["a"], "worse": [], "new": ["b"]}, "EVR-00001")
	assert "passed 1/2 (50.0 %); command 50.0 %" in summary
	assert "against EVR-00001: better 1 (a); worse 0; new 1" in summary
