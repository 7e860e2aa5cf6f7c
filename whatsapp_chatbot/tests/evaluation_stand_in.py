"""A model that does what each evaluation case expects, for tests/fake_openai.py.

`Oracle(cases).perfect` is a fake_openai step function (`from_request(oracle.perfect)`): it finds
the case a request belongs to by the exchange in it (the messages after the instructions, up to the
user's last message) and answers as the case expects: the expected command with the expected
arguments (one_of: the first; contains: the text itself; the other parameters filled from the tool
schema sent in the request), or, after a simulated tool result, a sentence in the case's language
holding `answer_contains`; a question back, a refusal or a plain answer in the case's language.
Only what the request carries is used, as a real model would.
"""

from __future__ import annotations

import json

from whatsapp_chatbot.evaluation.scoring import ANSWER, COMMAND, OPERATORS, QUESTION, REFUSAL
from whatsapp_chatbot.tests.fake_openai import Step, call, say

WORDS = {
	QUESTION: {"es": "¿Para qué cliente es?", "en": "Which customer is it for?"},
	REFUSAL: {
		"es": "Lo siento, tu usuario no tiene acceso a eso.",
		"en": "Sorry, your user has no access to that.",
	},
	ANSWER: {"es": "Claro, con gusto te ayudo. {extra}", "en": "Sure, here is what you asked for. {extra}"},
}


def exchange_of(request: dict) -> tuple:
	"""The case's exchange in a request: (role, content) after the system messages, up to and
	including the user's last message."""
	messages = [m for m in request.get("messages", []) if m.get("role") != "system"]
	last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
	return tuple((m["role"], m.get("content")) for m in messages[: last_user + 1])


def after_tool_result(request: dict) -> bool:
	messages = request.get("messages", [])
	return bool(messages) and messages[-1].get("role") == "tool"


def offered(request: dict) -> frozenset:
	return frozenset(t["function"]["name"] for t in request.get("tools", []))


class Oracle:
	"""`cases`: evaluation/cases.Case; two cases with the same words for users with other tools
	(a permission trap) are told apart by the tools offered."""

	def __init__(self, cases):
		from whatsapp_chatbot.evaluation.cases import tools_for

		self.cases = {
			(
				tuple((m["role"], m["content"]) for m in case.messages),
				frozenset(c.name for c in tools_for(case)),
			): case
			for case in cases
		}

	def case_for(self, request: dict):
		return self.cases[exchange_of(request), offered(request)]

	def perfect(self, request: dict) -> Step:
		case = self.case_for(request)
		expected = case.expectation
		if expected.expect == COMMAND and not after_tool_result(request):
			schema = tool_schema(request, expected.command)
			return call(expected.command, filled(arguments_for(expected.arguments), schema))
		kind = ANSWER if expected.expect == COMMAND else expected.expect
		words = WORDS[kind][case.language if case.language in ("es", "en") else "en"]
		return say(words.format(extra=expected.answer_contains or "").strip())


def tool_schema(request: dict, name: str) -> dict:
	for tool in request.get("tools", []):
		if tool["function"]["name"] == name:
			return tool["function"]["parameters"]
	return {}


def arguments_for(spec):
	"""A value that matches an expected-arguments spec."""
	if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in OPERATORS:
		operator, operand = next(iter(spec.items()))
		return arguments_for(operand[0]) if operator == "one_of" else operand
	if isinstance(spec, dict):
		return {k: arguments_for(v) for k, v in spec.items()}
	if isinstance(spec, list):
		return [arguments_for(v) for v in spec]
	return spec


def filled(value, schema: dict):
	"""`value` with every parameter the strict schema requires and the case did not give: null
	where allowed, else the first enum value or a plain value of the type."""
	types = schema.get("type")
	types = types if isinstance(types, list) else [types]
	if isinstance(value, dict) and "object" in types:
		properties = schema.get("properties", {})
		return {
			name: filled(value[name], sub) if name in value else blank(name, sub)
			for name, sub in properties.items()
		} | {k: v for k, v in value.items() if k not in properties}
	if isinstance(value, list) and "array" in types:
		return [filled(v, schema.get("items", {})) for v in value]
	if isinstance(value, str) and "array" in types and "string" not in types:
		# {"contains": "SKU-1"} on a list: one item holding the text
		return [filled(value, schema.get("items", {}))]
	if isinstance(value, str) and "object" in types and "string" not in types:
		properties = schema.get("properties", {})
		text = next((n for n, p in properties.items() if "string" in _types(p) and not p.get("enum")), None)
		return filled({text: value} if text else {}, schema)
	return value


def _types(schema: dict) -> list:
	types = schema.get("type")
	return types if isinstance(types, list) else [types]


def blank(name: str, schema: dict):
	types = schema.get("type")
	types = types if isinstance(types, list) else [types]
	if "null" in types:
		return None
	if schema.get("enum"):
		return schema["enum"][0]
	kind = types[0]
	if kind == "object":
		return filled({}, schema)
	if kind == "array":
		return [blank(name, schema.get("items", {}))]
	if kind == "string":
		return "2026-01-15" if "date" in name else "x"
	return {"integer": 1, "number": 1, "boolean": False}.get(kind)


def dumps(value) -> str:
	return json.dumps(value, ensure_ascii=False)
