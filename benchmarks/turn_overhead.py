"""Turn overhead benchmark: webhook → reply at the (fake) Graph server for N read commands.

The fake OpenAI and Graph servers answer instantly, so what is measured is our own overhead: the
webhook request, the RQ job(s) on one worker, the command against ERPNext, the outbox send.
Each turn: the model calls stock_balance, gets the result, answers; the answer goes out.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/turn_overhead.py --site test.localhost -n 200

Prints p50/p99 seconds from the webhook POST to the reply arriving, and jobs per turn.
Writes test data (a company of its own, a contact of this run, its messages) and removes the
contact's rows at the end (nothing else on the site).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("-n", "--turns", type=int, default=200)
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	import requests

	sys.path.insert(0, HERE)
	from turn_setup import clean, make_contacts, stand_ins

	from whatsapp_chatbot.jobs.queues import turn_queue
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.processes import WebServer, Worker

	facts = make_erpnext_data()
	graph, model = stand_ins()
	(wa_id,) = make_contacts(1, facts.company)

	latencies = []
	steps = []  # (wamid, seconds to the acknowledgement, to the reply)
	web = WebServer(workers=2).start()
	worker = Worker(queues=turn_queue(), name="bench-worker").start()
	try:
		session = requests.Session()

		def turn(index: int) -> float:
			wamid = f"wamid.OVERHEAD{wa_id}x{index}"
			raw, headers = f.signed(f.text_webhook(f"stock TORN-M8 #{index}", wa_id=wa_id, wamid=wamid))
			before = len(graph.sent_messages())
			started = time.perf_counter()
			response = session.post(
				web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
				data=raw,
				headers=web.headers(headers),
				timeout=30,
			)
			response.raise_for_status()
			acknowledged = time.perf_counter() - started
			graph.wait_for(lambda g: len(g.sent_messages()) > before, timeout=60)
			total = time.perf_counter() - started
			if index >= 0:
				steps.append((wamid, acknowledged, total))
			return total

		for index in range(5):  # warm-up: imports and caches in the worker's parent process
			turn(-index - 1)
		for index in range(args.turns):
			latencies.append(turn(index))
	finally:
		worker.stop()
		web.stop()
		graph.stop()
		model.stop()

	frappe.db.rollback()
	turns = frappe.db.count(
		"Chatbot Message", {"wa_id": wa_id, "direction": "Incoming", "status": "Answered"}
	)
	contact = frappe.db.get_value("Chatbot Contact", {"wa_id": wa_id})
	commands = frappe.db.count("Chatbot Command", {"contact": contact, "status": "Succeeded"})
	latencies.sort()
	print(
		f"\nturn_overhead: {args.turns} read commands, one RQ worker, fake OpenAI and Graph answering instantly"
	)
	print(
		f"p50 {statistics.median(latencies):.3f} s   p90 {latencies[int(len(latencies) * 0.9)]:.3f} s   p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.3f} s   max {latencies[-1]:.3f} s"
	)
	print(f"answered turns: {turns}, commands run: {commands}, model calls: {len(model.requests)}")
	print_steps(steps)
	print(f"aim: p50 under 0.1 s (load average {os.getloadavg()[0]:.2f})")
	clean([wa_id])


def print_steps(steps: list) -> None:
	"""The two halves of a turn, p50: the webhook's acknowledgement (stored, job queued), then the
	reply after it (the job's wait, the turn, the send). With one contact writing back to back, the
	previous message's job often answers the next one itself: it looks for its sender's pending
	messages once more before it ends."""
	acknowledged = [a for _wamid, a, _total in steps]
	after = [total - a for _wamid, a, total in steps]
	print(
		f"p50: webhook acknowledged {statistics.median(acknowledged):.3f} s, reply after it {statistics.median(after):.3f} s"
	)


if __name__ == "__main__":
	main()
