"""What turn_profile.py and capacity.py share: the stand-ins, a read command's two model calls, this
run's contacts (numbers of its own), and removing exactly what the run wrote.

Not a benchmark: imported by the scripts beside it (run from the bench's sites folder).
"""

from __future__ import annotations

import random
import re

import frappe

TAG = re.compile(r"#(\S+)")  # "stock TORN-M8 #c3-7": the turn's tag, echoed in the answer
JOB = "whatsapp_chatbot.jobs.process_message.process_message"


def stand_ins(latency: float = 0.0, jitter: float = 0.0, graph_latency: float = 0.0, on_reply=None):
	"""The Graph and OpenAI stand-ins, and the Settings pointing at them. Each turn is a read command:
	the model calls stock_balance, gets its result and answers with the tag of the message it
	answers (so replies can be matched to what they answer). `on_reply(tag, at, to)` is called in
	the Graph stand-in's thread for every text message sent (at: its arrival, time.time(); tag None
	for a text without one, such as the apology of a failed turn)."""
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.fake_graph import FakeGraph
	from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, call, from_request, say

	class Graph(FakeGraph):
		def _record(self, recorded) -> None:
			super()._record(recorded)
			body = recorded.json or {}
			if on_reply and body.get("_ok") and body.get("type") == "text":
				on_reply(answered_tag(body), recorded.at, body.get("to"))

	graph = Graph(access_token=f.ACCESS_TOKEN)
	graph.delay = graph_latency
	graph.start()
	model = FakeOpenAI(latency=latency, jitter=jitter).start()

	def step(request: dict):
		if request["messages"][-1]["role"] != "tool":
			return call("stock_balance", {"item": "TORN-M8", "warehouse": None})
		asked = next(m["content"] for m in reversed(request["messages"]) if m["role"] == "user")
		tag = TAG.search(asked if isinstance(asked, str) else "")
		return say(f"Quedan 150. [{tag.group(1) if tag else '?'}]")

	model.default = from_request(step)
	f.make_settings(
		graph.base_url, openai_api_key="sk-bench", openai_base_url=model.base_url, openai_timeout=30
	)
	return graph, model


def answered_tag(body: dict) -> str | None:
	"""The tag a reply at the Graph stand-in answers ("Quedan 150. [c3-7]" → "c3-7")."""
	text = ((body.get("text") or {}).get("body")) or ""
	found = re.search(r"\[([^\]\s]+)\]\s*$", text)
	return found.group(1) if found else None


def make_contacts(count: int, company: str) -> list[str]:
	"""`count` contacts of this run (numbers no other run uses), one chat user for all of them."""
	from whatsapp_chatbot.tests import factories as f

	user = f.make_chat_user("chatbot-bench@example.com", ("Stock User",), company)
	prefix = f"5219{random.randrange(10**5):05d}"  # 15 digits: the run's prefix, then the contact's
	numbers = [f"{prefix}{index:06d}" for index in range(count)]
	for number in numbers:
		f.make_contact(number, user=user)
	frappe.db.commit()
	return numbers


def clean(numbers: list[str]) -> None:
	"""Remove this run's rows only: its contacts, their conversations, messages and commands."""
	contacts = frappe.get_all("Chatbot Contact", filters={"wa_id": ("in", numbers)}, pluck="name")
	if contacts:
		messages = frappe.get_all(
			"Chatbot Message",
			or_filters={"contact": ("in", contacts), "wa_id": ("in", numbers)},
			pluck="name",
		)
		for start in range(0, len(messages), 500):
			frappe.db.delete("Chatbot Command", {"message": ("in", messages[start : start + 500])})
		frappe.db.delete("Chatbot Command", {"contact": ("in", contacts)})
		for start in range(0, len(messages), 500):
			frappe.db.delete("Chatbot Message", {"name": ("in", messages[start : start + 500])})
		frappe.db.delete("Chatbot Conversation", {"contact": ("in", contacts)})
		frappe.db.delete("Chatbot Contact", {"name": ("in", contacts)})
	frappe.db.delete("Chatbot Message", {"wa_id": ("in", numbers)})
	frappe.db.commit()
