"""One case through the model, with no side effects.

The request is the bot's own: the instructions and per-turn context of interpreter/prompt.py, the
case's exchange as history and new message, and the tools the case's user would be offered, sent
as interpreter/loop.py sends them. Tool calls are captured and checked against the tool's schema,
never dispatched: nothing is written, no document is read. A read tool whose result the case
simulates gets that result back and the model is asked again (as the loop would, up to the
Settings' tool-step limit); any other call ends the exchange where the bot's turn would end (a
write's preview, a long command's "working on it") or where nothing could answer it.

The model's first answer is what is judged: the loop would let a malformed call be repaired once;
here it fails the case, so a model that needs repairs shows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import frappe
import openai
from frappe.utils import nowdate

from whatsapp_chatbot.evaluation.cases import Case, kinds, tools_for
from whatsapp_chatbot.evaluation.scoring import READ, Call, Capture
from whatsapp_chatbot.interpreter import loop, prompt
from whatsapp_chatbot.interpreter.usage import Usage
from whatsapp_chatbot.tools.registry import parse_arguments

# a case with no User still needs someone to talk to in the per-turn context
STAND_IN_USER, STAND_IN_NAME = "staff@example.com", "Staff"


@dataclass
class Exchange:
	capture: Capture
	requests: list[dict] = field(default_factory=list)
	responses: list[dict] = field(default_factory=list)
	usage: Usage = field(default_factory=Usage)
	latency: float = 0.0  # seconds waiting for the model
	steps: int = 0


def context_for(case: Case) -> str:
	user = case.run_as or STAND_IN_USER
	name = (frappe.db.get_value("User", case.run_as, "full_name") if case.run_as else None) or STAND_IN_NAME
	company = (
		frappe.defaults.get_user_default("Company", user=case.run_as) if case.run_as else None
	) or frappe.defaults.get_global_default("company")
	return prompt.context_message(
		today=case.today or nowdate(),
		user_name=name,
		user=user,
		company=company,
		language_hint=frappe.db.get_value("Language", case.language, "language_name") or "English",
	)


def first_messages(case: Case) -> list[dict]:
	*history, last = case.messages
	return prompt.build_messages(context_for(case), history, last["content"])


def run(case: Case, client, model: str, max_steps: int) -> Exchange:
	commands = tools_for(case)
	by_name = {c.name: c for c in commands}
	kind_of = kinds(commands)
	messages = first_messages(case)
	done = Exchange(Capture())
	for _step in range(max(1, max_steps)):
		request = loop.request_for(model, messages, commands)
		done.requests.append(json.loads(json.dumps(request, default=str)))  # as sent, not as it grows
		started = time.monotonic()
		try:
			response = client.chat.completions.create(**request)
		except openai.OpenAIError as error:  # HTTP errors, timeouts, an answer the SDK cannot read
			done.latency += time.monotonic() - started
			done.capture.error = f"{type(error).__name__}: {error}"[:500]
			done.responses.append(
				{"error": done.capture.error, "status": getattr(error, "status_code", None)}
			)
			return done
		done.latency += time.monotonic() - started
		done.steps += 1
		done.responses.append(response.model_dump(mode="json"))
		done.usage.add(response.usage)
		reply = response.choices[0].message
		if not reply.tool_calls:
			done.capture.text = reply.content or ""
			return done
		messages.append(loop._assistant_message(reply))
		for tool_call in reply.tool_calls:
			call = _checked(tool_call.function.name, tool_call.function.arguments, by_name, kind_of)
			done.capture.calls.append(call)
			if call.error or call.kind != READ or call.name not in case.simulated:
				return done  # the bot's turn would end here (or the call is broken)
			messages.append(loop._tool_result(tool_call.id, case.simulated[call.name]))
	done.capture.calls.append(Call("(step limit)", error=f"still calling tools after {max_steps} steps"))
	return done


def _checked(name: str, raw: str | None, by_name: dict, kind_of: dict) -> Call:
	arguments, error = parse_arguments(raw)
	if error:
		return Call(name, raw, kind_of.get(name), error)
	command = by_name.get(name)
	if command is None:
		return Call(name, arguments, None, "not a tool this user is offered")
	checked, errors = command.check(arguments)
	if errors:
		return Call(name, arguments, kind_of[name], "; ".join(errors))
	return Call(name, checked, kind_of[name])
