"""Prompt budget: the fixed prefix (instructions + tools) and the history sent per turn.

Prints the characters and estimated tokens (characters ÷ 4: no tokenizer can be downloaded here)
of the instructions and of the tool definitions offered to a user allowed every built-in command,
the largest tools, and the bytes of history sent on each turn of a 8-turn conversation run through
the real pipeline (terminal channel, fake OpenAI answering with a tool call then a reply).

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/prompt_budget.py --site test.localhost
"""

from __future__ import annotations

import argparse
import json

AIM_TOKENS = 2500


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("--turns", type=int, default=8)
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")

	from whatsapp_chatbot.interpreter import prompt
	from whatsapp_chatbot.tools import catalogue
	from whatsapp_chatbot.tools.registry import REGISTRY

	catalogue.builtin_names()
	tools = [c.tool() for _, c in sorted(REGISTRY.items())]  # every built-in command
	instructions = len(prompt.INSTRUCTIONS)
	tool_chars = len(json.dumps(tools, separators=(",", ":")))
	print(f"\nprompt_budget: {len(tools)} built-in commands")
	print(f"instructions: {instructions:6d} chars ≈ {instructions // 4:5d} tokens")
	print(f"tools:        {tool_chars:6d} chars ≈ {tool_chars // 4:5d} tokens")
	total = (instructions + tool_chars) // 4
	print(
		f"fixed prefix: ≈ {total} tokens (aim: at most {AIM_TOKENS}) {'OK' if total <= AIM_TOKENS else 'OVER'}"
	)
	largest = sorted(
		((len(json.dumps(t, separators=(",", ":"))), t["function"]["name"]) for t in tools), reverse=True
	)[:5]
	print("largest tools: " + ", ".join(f"{name} {size // 4}" for size, name in largest))

	history_per_turn(args.turns)


def history_per_turn(turns: int) -> None:
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
		sizes = []
		for index in range(turns):
			before = len(model.requests)
			chat.send(f"¿cuánto stock queda del ítem TORN-M8? ({index})")
			first = model.requests[before]
			history = first["messages"][2:-1]  # after the two system messages, before the new message
			sizes.append(len(json.dumps(history, ensure_ascii=False).encode()))
		print("history bytes sent per turn (history_turns=6): " + ", ".join(str(s) for s in sizes))
		print(f"history at steady state ≈ {sizes[-1] // 4} tokens")
	finally:
		model.stop()
		f.clean()
		frappe.db.commit()


if __name__ == "__main__":
	main()
