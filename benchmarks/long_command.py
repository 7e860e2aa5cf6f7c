"""Long command benchmark: how soon the user hears back, and how many messages a long job costs.

Serves the site with gunicorn, runs one worker on `short` and one on `long`, the fake OpenAI asks
for a slow long command (`pasos_lentos`, test sites only), the fake Graph records what reaches the
phone. For each run it prints: webhook → "working on it" reply, job start → first progress report
(Desk/realtime) and → first progress message on WhatsApp, and the WhatsApp messages sent per long
command. Meta's pair rate (one message per 6 s per person) applies to progress messages too.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/long_command.py --site test.localhost -n 3
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from zoneinfo import ZoneInfo


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("-n", "--runs", type=int, default=3)
	parser.add_argument("--steps", type=int, default=20)
	parser.add_argument("--seconds", type=float, default=1.0, help="per step of the slow job")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	import requests
	from frappe.utils.data import get_system_timezone

	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.fake_graph import FakeGraph
	from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, call
	from whatsapp_chatbot.tests.long_task import define_slow_command
	from whatsapp_chatbot.tests.processes import WebServer, Worker

	facts = make_erpnext_data()
	removals = contextlib.ExitStack()  # the definition goes however the run ends
	slow = define_slow_command(removals.callback)
	graph = FakeGraph(access_token=f.ACCESS_TOKEN).start()
	model = FakeOpenAI().start()
	model.default = call(slow, {"steps": args.steps, "seconds": args.seconds})
	f.clean()
	f.make_settings(
		graph.base_url,
		openai_api_key="sk-bench",
		openai_base_url=model.base_url,
	)
	user = f.make_chat_user("chatbot-long-bench@example.com", ("Stock User",), facts.company)
	wa_id = "5215500007777"
	f.make_contact(wa_id, user=user)

	events = RealtimeListener(frappe).start()
	acks, first_reports, first_messages, counts, kinds = [], [], [], [], []
	web = WebServer(workers=2).start()
	short_worker = Worker("short,default", name="bench-short").start()
	long_worker = Worker("long", name="bench-long").start()
	try:
		# warm-up: the first job of a fresh worker pays for imports the others inherit
		raw, headers = f.signed(f.text_webhook("/status", wa_id=wa_id))
		requests.post(
			web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
			data=raw,
			headers=web.headers(headers),
			timeout=30,
		)
		graph.wait_for(lambda g: _sent(g), timeout=60)
		time.sleep(6)
		for run in range(args.runs):
			before = len(_sent(graph))
			raw, headers = f.signed(f.text_webhook(f"proceso lento {run}", wa_id=wa_id))
			posted, posted_at = time.time(), frappe.utils.now_datetime()
			requests.post(
				web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
				data=raw,
				headers=web.headers(headers),
				timeout=30,
			).raise_for_status()
			graph.wait_for(lambda g, b=before: len(_sent(g)) > b, timeout=60)
			acks.append(_sent(graph)[before].at - posted)
			name, started = _wait(
				lambda: frappe.db.get_value(
					"Chatbot Command",
					{"status": ("in", ["Succeeded", "Failed"]), "creation": (">", posted_at)},
					["name", "started_at"],
					order_by="creation desc",
				),
				frappe,
			)
			started = started.replace(tzinfo=ZoneInfo(get_system_timezone())).timestamp()
			first_reports.append(events.first_progress(name) - started)
			sent = _sent(graph)[before:]
			progress = [
				r
				for r in sent
				if r.json.get("type") == "text"
				and f"{name}: " in r.json["text"]["body"]
				and "%" in r.json["text"]["body"]
			]
			first_messages.append(progress[0].at - started if progress else float("nan"))
			counts.append(len(sent))
			kinds.append(
				[
					r.json["text"]["body"][:24] if r.json.get("type") == "text" else r.json.get("type")
					for r in sent
				]
			)
			time.sleep(6)  # Meta's pair rate before the next run's acknowledgement
	finally:
		removals.close()
		events.stop()
		long_worker.stop()
		short_worker.stop()
		web.stop()
		graph.stop()
		model.stop()

	print(
		f"\nlong_command: {args.runs} runs of a {args.steps}-step job ({args.seconds:g} s/step), workers on short and long"
	)
	print(
		f"webhook → 'working on it' reply: median {statistics.median(acks):.3f} s, max {max(acks):.3f} s (aim: under 1 s)"
	)
	print(
		f"job start → first progress report (realtime, Desk): median {statistics.median(first_reports):.3f} s, max {max(first_reports):.3f} s (aim: within 2 s)"
	)
	print(
		f"job start → first progress message (WhatsApp): median {statistics.median(first_messages):.1f} s (at 25 % of the job, never within 6 s of the acknowledgement)"
	)
	print(f"WhatsApp messages per long command: {counts}; the last one: {kinds[-1]}")
	f.clean()


class RealtimeListener:
	"""Listens on the Redis channel Frappe publishes realtime events to (what Socket.IO relays)."""

	def __init__(self, frappe):
		import json
		import threading

		from frappe.utils.background_jobs import get_redis_connection_without_auth

		self.json = json
		self.pubsub = get_redis_connection_without_auth().pubsub()
		self.pubsub.subscribe("events")
		self.first: dict[str, float] = {}
		self.stopped = threading.Event()
		self.thread = threading.Thread(target=self._run, daemon=True)

	def start(self):
		self.thread.start()
		return self

	def _run(self):
		while not self.stopped.is_set():
			message = self.pubsub.get_message(timeout=0.2)
			if not message or message.get("type") != "message":
				continue
			event = self.json.loads(message["data"])
			data = event.get("message") or {}
			if event.get("event") == "whatsapp_chatbot_progress" and (data.get("progress") or 0) > 0:
				self.first.setdefault(data["name"], time.time())

	def first_progress(self, command: str) -> float:
		deadline = time.time() + 10
		while command not in self.first and time.time() < deadline:
			time.sleep(0.05)
		return self.first.get(command, float("nan"))

	def stop(self):
		self.stopped.set()
		self.thread.join(2)
		self.pubsub.close()


def _sent(graph) -> list:
	return [r for r in graph.requests if r.json and r.json.get("_ok")]


def _wait(predicate, frappe, timeout: float = 300):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		frappe.db.rollback()
		value = predicate()
		if value:
			return value
		time.sleep(0.2)
	raise TimeoutError


if __name__ == "__main__":
	main()
