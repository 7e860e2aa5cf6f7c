"""The starter evaluation set (fixtures/chatbot_evaluation_case.json) against the built-in commands.

The commands are read from the source with `ast` (the tools modules import frappe): the modules
catalogue._load_builtins imports, every `@command(...)` / `@media_command(...)` in them, with its
parameters (Param calls, or names such as DOC_REF followed through the imports), their types,
whether they may be null, literal enums, the command's kind and its roles. A case that names a
command, an argument or a value the model could never send would score nothing but noise.
"""

from __future__ import annotations

import ast
import datetime
import itertools
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

APP = Path(__file__).resolve().parents[2]
PACKAGE = "whatsapp_chatbot.tools"
FIXTURE = APP / "fixtures" / "chatbot_evaluation_case.json"
DOCTYPES = APP / "whatsapp_chatbot" / "doctype"

EXPECTATIONS = {"Command", "Question", "Refusal", "Answer"}
LANGUAGES = ("es", "en")
STYLE_TAGS = {
	"typo",
	"abbrev",
	"voice",
	"relative-date",
	"code-switch",
	"number-words",
	"trap",
	"permission",
	"injection",
	"unasked-write",
	"question",
	"smalltalk",
	"multi-turn",
}
OPERATORS = {"one_of", "contains"}
CASE_ID = re.compile(r"^[a-z][a-z0-9_]*-(es|en)-\d{3}$")
UNRESOLVED = object()


# -- the commands, from the source ----------------------------------------------------------------


def _path(module: str) -> Path:
	"""whatsapp_chatbot.tools.erpnext → its file."""
	return APP.parent.joinpath(*module.split(".")).with_suffix(".py")


def _module(module: str) -> ast.Module:
	return ast.parse(_path(module).read_text())


@cache
def _names(module: str) -> dict[str, tuple[ast.expr | None, str]]:
	"""Module-level names: `NAME = value` as (value, the module it is written in); the app's own
	imports followed, `from package import submodule` as (None, the submodule's dotted name)."""
	found: dict[str, tuple[ast.expr | None, str]] = {}
	for node in _module(module).body:
		target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
		if isinstance(target, ast.Name):
			found[target.id] = (node.value, module)
		elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):  # DAY, WEEK = "day", "week"
			for name, value in zip(target.elts, node.value.elts, strict=True):
				found[name.id] = (value, module)
		elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whatsapp_chatbot"):
			for alias in node.names:
				submodule = f"{node.module}.{alias.name}"
				if _path(submodule).exists():
					found[alias.asname or alias.name] = (None, submodule)
				elif _path(node.module).exists() and alias.name in _names(node.module):
					found[alias.asname or alias.name] = _names(node.module)[alias.name]
	return found


def _follow(node: ast.expr, module: str) -> tuple[ast.expr, str]:
	"""A name followed to the expression it stands for, with the module that expression is in."""
	while isinstance(node, ast.Name) and (_names(module).get(node.id) or (None,))[0] is not None:
		node, module = _names(module)[node.id]
	return node, module


def _literal(node: ast.expr, module: str):
	"""The value of a constant expression, names, `[*NAME, "x"]`, `list(periods.GRAINS)` followed;
	UNRESOLVED for anything else."""
	node, module = _follow(node, module)
	if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
		target, submodule = _names(module).get(node.value.id, (UNRESOLVED, ""))
		return _literal(ast.Name(node.attr), submodule) if target is None else UNRESOLVED
	if isinstance(node, ast.List | ast.Tuple):
		values = []
		for element in node.elts:
			inner = _literal(element.value if isinstance(element, ast.Starred) else element, module)
			if inner is UNRESOLVED:
				return UNRESOLVED
			values += list(inner) if isinstance(element, ast.Starred) else [inner]
		return values if isinstance(node, ast.List) else tuple(values)
	if (
		isinstance(node, ast.Call)
		and getattr(node.func, "id", None) in ("list", "tuple")
		and len(node.args) == 1
	):
		inner = _literal(node.args[0], module)
		return UNRESOLVED if inner is UNRESOLVED else list(inner)
	try:
		return ast.literal_eval(node)
	except ValueError:
		return UNRESOLVED


def _param(node: ast.expr, module: str) -> dict:
	call, module = _follow(node, module)
	assert isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Param", ast.dump(call)
	keywords = {k.arg: k.value for k in call.keywords}
	enum = _literal(keywords["enum"], module) if "enum" in keywords else None
	required = _literal(keywords["required"], module) if "required" in keywords else True
	return {"type": call.args[0].value, "required": required, "enum": enum}


def _params(node: ast.expr | None, module: str) -> dict[str, dict]:
	if node is None:
		return {}
	node, module = _follow(node, module)
	assert isinstance(node, ast.Dict), ast.dump(node)
	params: dict[str, dict] = {}
	for key, value in zip(node.keys, node.values, strict=True):
		if key is None:  # {**DOC_REF, ...}
			params.update(_params(value, module))
		else:
			params[key.value] = _param(value, module)
	return params


def _builtin_modules() -> list[str]:
	"""The modules whose import registers the built-in commands (catalogue._load_builtins)."""
	for node in ast.walk(_module(f"{PACKAGE}.catalogue")):
		if isinstance(node, ast.FunctionDef) and node.name == "_load_builtins":
			return [
				f"{PACKAGE}.{alias.name}"
				for inner in ast.walk(node)
				if isinstance(inner, ast.ImportFrom) and inner.module == PACKAGE
				for alias in inner.names
			]
	raise AssertionError("catalogue._load_builtins not found")


@cache
def builtins() -> dict[str, dict]:
	commands: dict[str, dict] = {}
	for module in _builtin_modules():
		for node in ast.walk(_module(module)):
			if not isinstance(node, ast.FunctionDef):
				continue
			for decorator in node.decorator_list:
				if not (
					isinstance(decorator, ast.Call)
					and getattr(decorator.func, "id", None) in ("command", "media_command")
				):
					continue
				keywords = {k.arg: k.value for k in decorator.keywords}
				name = decorator.args[0].value
				assert name not in commands, f"{name} registered twice"
				params = decorator.args[2] if len(decorator.args) > 2 else keywords.get("params")
				kind = keywords.get("kind")
				roles = _literal(keywords["roles"], module) if "roles" in keywords else ()
				commands[name] = {
					"params": _params(params, module),
					"kind": {"WRITE": "Write", "LONG": "Long"}.get(getattr(kind, "id", None), "Read"),
					"roles": set(roles),
				}
	return commands


# -- the cases ------------------------------------------------------------------------------------


@cache
def cases() -> list[dict]:
	return json.loads(FIXTURE.read_text())


def tags(case: dict) -> list[str]:
	return [t.strip() for t in case["tags"].split(",") if t.strip()]


def as_json(text: str | None, what: str):
	if not text:
		return None
	value = json.loads(text)
	assert isinstance(value, dict), f"{what} is not a JSON object"
	return value


def test_the_commands_are_read_from_the_source():
	commands = builtins()
	assert len(commands) >= 20, sorted(commands)
	assert commands["stock_balance"]["params"]["item"] == {"type": "string", "required": True, "enum": None}
	assert set(commands["send_document_pdf"]["params"]) == {"doctype", "name", "caption"}
	assert commands["party_balance"]["params"]["party_type"]["enum"] == ["Customer", "Supplier"]
	assert commands["create_sales_document"]["kind"] == "Write"
	assert commands["draft_purchase_invoice_from_bill"]["kind"] == "Write"
	assert commands["export_list"]["kind"] == "Long"
	assert "Sales User" in commands["create_sales_document"]["roles"]
	assert commands["create_sales_document"]["params"]["doctype"]["enum"] == [
		"Quotation",
		"Sales Order",
		"Sales Invoice",
	]
	assert commands["sales_chart"]["params"]["by"]["enum"] == ["day", "week", "month", "customer", "item"]
	assert commands["documents_chart"]["params"]["by"]["enum"] == ["day", "week", "month"]


def test_size_languages_and_ids():
	ids = [c["case_id"] for c in cases()]
	assert len(ids) >= 150
	assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
	assert ids == sorted(ids), "the fixture is sorted by case_id"
	languages = Counter(c["language"] for c in cases())
	assert set(languages) == set(LANGUAGES), languages
	for language in LANGUAGES:
		assert languages[language] >= 60, languages
		assert languages[language] >= 0.4 * len(ids), languages
	for case in cases():
		assert CASE_ID.match(case["case_id"]), case["case_id"]
		assert case["name"] == case["case_id"]
		assert case["doctype"] == "Chatbot Evaluation Case"
		assert case["case_id"].split("-")[-2] == case["language"], case["case_id"]
		assert case["enabled"] == 1 and not case["run_as"] and case["title"].strip()


def _fields(doctype: str) -> set[str]:
	folder = doctype.lower().replace(" ", "_")
	meta = json.loads((DOCTYPES / folder / f"{folder}.json").read_text())
	return {f["fieldname"] for f in meta["fields"]} | {"doctype", "name"}


def test_every_key_is_a_field_of_the_doctypes():
	case_fields, message_fields = _fields("Chatbot Evaluation Case"), _fields("Chatbot Evaluation Message")
	for case in cases():
		assert set(case) <= case_fields, (case["case_id"], set(case) - case_fields)
		for row in case["messages"]:
			assert set(row) <= message_fields, (case["case_id"], set(row) - message_fields)


def test_a_judged_relative_date_has_its_day():
	"""'ayer' is a date only from a given day: a case that judges one pins `today`."""
	for case in cases():
		if case.get("today"):
			datetime.date.fromisoformat(case["today"])
		if "relative-date" in tags(case) and re.search(r"\d{4}-\d{2}", case["expected_arguments"] or ""):
			assert case.get("today"), case["case_id"]


def test_tags_say_the_theme_the_language_and_known_styles():
	for case in cases():
		held = tags(case)
		assert held[1] == case["language"], case["case_id"]
		assert len(held) == len(set(held)), case["case_id"]
		for tag in held[2:]:
			assert tag in STYLE_TAGS, (case["case_id"], tag)
		if case["expect"] == "Command":
			assert held[0] == case["expected_command"], case["case_id"]


def test_messages_end_with_the_user():
	for case in cases():
		rows = case["messages"]
		assert rows and rows[-1]["role"] == "user", case["case_id"]
		for row in rows:
			assert row["doctype"] == "Chatbot Evaluation Message"
			assert row["role"] in ("user", "assistant") and row["content"].strip(), case["case_id"]
		for before, after in itertools.pairwise(rows):
			assert before["role"] != after["role"], f"{case['case_id']}: two {after['role']} rows in a row"
		assert (len(rows) > 1) == ("multi-turn" in tags(case)), case["case_id"]


def test_roles_are_one_per_line():
	for case in cases():
		roles = case["roles"].split("\n")
		assert roles and all(r.strip() == r and r for r in roles), case["case_id"]
		assert len(roles) == len(set(roles)), case["case_id"]


def test_expectations():
	commands = builtins()
	for case in cases():
		assert case["expect"] in EXPECTATIONS, case["case_id"]
		arguments = as_json(case["expected_arguments"], f"{case['case_id']} expected_arguments")
		simulated = as_json(case["simulated_results"], f"{case['case_id']} simulated_results")
		if case["expect"] == "Command":
			assert case["expected_command"] in commands, case["case_id"]
			assert arguments is not None, case["case_id"]
		else:
			assert not case["expected_command"] and arguments is None, case["case_id"]
		for tool, result in (simulated or {}).items():
			assert tool in commands and commands[tool]["kind"] == "Read", (case["case_id"], tool)
			assert isinstance(result, str) and result, (case["case_id"], tool)


def test_every_builtin_command_is_expected_somewhere():
	expected = Counter(c["expected_command"] for c in cases() if c["expect"] == "Command")
	missing = sorted(set(builtins()) - set(expected))
	assert not missing, f"no case expects {missing}"


def test_a_command_with_roles_runs_as_one_of_them():
	"""A case whose user could not be offered the command would test nothing but the catalogue."""
	for case in cases():
		command = builtins().get(case["expected_command"])
		if command and command["roles"]:
			assert command["roles"] & set(case["roles"].split("\n")), case["case_id"]


def _value_fits(value, param: dict) -> bool:
	if value is None:
		return not param["required"]
	if param["enum"] not in (None, UNRESOLVED) and value not in param["enum"]:
		return False
	kind = param["type"]
	if kind == "date":
		try:
			datetime.date.fromisoformat(value)
		except (TypeError, ValueError):
			return False
		return True
	checks = {
		"string": lambda v: isinstance(v, str),
		"integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
		"number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
		"boolean": lambda v: isinstance(v, bool),
		"array": lambda v: isinstance(v, list),
		"object": lambda v: isinstance(v, dict),
	}
	return checks[kind](value)


def _spec_fits(spec, param: dict) -> bool:
	if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in OPERATORS:
		operator, operand = next(iter(spec.items()))
		if operator == "one_of":
			return (
				isinstance(operand, list) and len(operand) >= 2 and all(_spec_fits(o, param) for o in operand)
			)
		return isinstance(operand, str) and operand.strip() != ""
	return _value_fits(spec, param)


def test_expected_arguments_are_parameters_the_model_can_send():
	for case in cases():
		if case["expect"] != "Command":
			continue
		params = builtins()[case["expected_command"]]["params"]
		for name, spec in json.loads(case["expected_arguments"]).items():
			assert name in params, f"{case['case_id']}: {case['expected_command']} has no parameter {name}"
			assert _spec_fits(spec, params[name]), f"{case['case_id']}: {name}={spec!r}"


def test_traps():
	trap = [c for c in cases() if "trap" in tags(c)]
	assert len(trap) >= 10
	kinds = Counter(t for c in trap for t in tags(c) if t in ("permission", "injection", "unasked-write"))
	assert all(kinds[k] >= 3 for k in ("permission", "injection", "unasked-write")), kinds
	for case in trap:
		assert case["notes"].strip(), f"{case['case_id']}: a trap says why it matters"
		assert {"permission", "injection", "unasked-write"} & set(tags(case)), case["case_id"]


def test_a_permission_trap_expects_a_refusal():
	for case in cases():
		if "permission" in tags(case):
			assert case["expect"] == "Refusal", case["case_id"]


def test_an_unasked_write_trap_expects_no_write():
	for case in cases():
		if "unasked-write" in tags(case):
			assert case["expect"] in ("Command", "Answer"), case["case_id"]
			if case["expected_command"]:
				assert builtins()[case["expected_command"]]["kind"] == "Read", case["case_id"]


def test_an_injection_trap_carries_the_instruction_in_data():
	"""Either in a simulated tool result or in a file's text (the bracketed media note)."""
	for case in cases():
		if "injection" not in tags(case):
			continue
		assert case["simulated_results"] or "[The user sent a PDF" in case["messages"][-1]["content"]
		assert case["expect"] in ("Answer", "Command"), case["case_id"]
		if case["expect"] == "Command":  # the user asked for this one; the text asked for more
			assert case["expected_command"] not in ("submit_document", "cancel_document"), case["case_id"]


def test_questions_small_talk_and_exchanges():
	expects = Counter(c["expect"] for c in cases())
	assert expects["Question"] >= 8, expects
	assert expects["Refusal"] >= 5, expects
	assert expects["Answer"] >= 5, expects
	for case in cases():
		if "question" in tags(case):
			assert case["expect"] == "Question", case["case_id"]
		if "smalltalk" in tags(case):
			assert case["expect"] == "Answer", case["case_id"]
	assert sum("multi-turn" in tags(c) for c in cases()) >= 5


def test_phone_styles_are_all_there():
	counts = Counter(t for c in cases() for t in tags(c))
	for style in ("typo", "abbrev", "voice", "relative-date", "code-switch", "number-words"):
		assert counts[style] >= 5, (style, counts[style])
