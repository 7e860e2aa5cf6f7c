"""Turn overhead benchmark: webhook → reply at the (fake) Graph server for N read commands.

The fake OpenAI and Graph servers answer instantly, so what is measured is our own overhead: the
webhook request, the RQ job(s) on one worker, the command against ERPNext, the outbox send.
The worker is, in turn, each of `--workers`: `bench worker` (`worker`: Frappe v15 forks a process
per job) and one no-fork worker of `bench whatsapp-chatbot worker-pool --num-workers 1` (`nofork`).
Each turn: the model calls stock_balance, gets the result, answers; the answer goes out.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/turn_overhead.py --site test.localhost -n 200

Two runs: isolated (each message once the worker is idle again: our overhead per turn) and back to
back (the next message as soon as the reply arrives). Prints p50/p90/p99 seconds from the webhook
POST to the reply arriving, and the acknowledgement and the reply after it.
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
	parser.add_argument("--workers", default="worker,nofork", help="worker, pool and/or nofork")
	parser.add_argument("--rounds", type=int, default=3, help="the kinds alternate this many times")
	args = parser.parse_args()

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	import requests

	sys.path.insert(0, HERE)
	from frappe.utils.background_jobs import create_job_id, get_queue
	from turn_setup import clean, make_contacts, stand_ins

	from whatsapp_chatbot.channel.inbox import processing_job_id
	from whatsapp_chatbot.jobs.queues import turn_queue
	from whatsapp_chatbot.tests import factories as f
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.processes import WebServer, Worker, wait_until

	facts = make_erpnext_data()
	graph, model = stand_ins()
	(wa_id,) = make_contacts(1, facts.company)

	web = WebServer(workers=2).start()
	connection = get_queue(turn_queue()).connection
	runs = {}  # (kind, run) → [(seconds to the acknowledgement, to the reply)]
	sequence = iter(range(1_000_000))
	worker = None
	try:
		session = requests.Session()

		def turn(index: int, isolated: bool) -> tuple[float, float]:
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
			if isolated:  # the worker is idle again before the next message: nothing overlaps
				job_id = create_job_id(processing_job_id(wamid, "0"))
				wait_until(lambda: _ended(job_id, connection), timeout=60)
			return acknowledged, total

		# the kinds take turns, round after round, so a shared machine's drifting speed hits each alike
		per_round = max(1, args.turns // args.rounds)
		for _round in range(args.rounds):
			for kind in args.workers.split(","):
				pool = {"worker": 0, "pool": 1, "nofork": 1}[kind]
				worker = Worker(
					turn_queue(), name=f"bench-{kind}", pool=pool, no_fork=kind == "nofork"
				).start()
				for _ in range(5):  # warm-up: the worker starts, imports and fills its caches
					turn(next(sequence), isolated=True)
				for name, isolated in (("isolated", True), ("back to back", False)):
					runs.setdefault((kind, name), []).extend(
						turn(next(sequence), isolated) for _ in range(per_round)
					)
				worker.stop()
				worker = None
	finally:
		if worker:
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
	print(
		f"\nturn_overhead: {args.turns} read commands a run ({args.rounds} rounds), one RQ worker, fake OpenAI and Graph answering "
		"instantly; seconds from the webhook POST to the reply at the Graph stand-in"
	)
	for (kind, name), measured in runs.items():
		print_run(f"{kind:7s}{name}", measured)
	print(f"answered turns: {turns}, commands run: {commands}, model calls: {len(model.requests)}")
	print(
		"isolated: each message once the worker is idle again (our overhead per turn); back to back:\n"
		"the next message as soon as the reply arrives (the previous turn's job, still finishing,\n"
		"often answers it itself: it looks for its sender's pending messages once more before it ends)"
	)
	print(f"aim: isolated p50 under 0.1 s (load average {os.getloadavg()[0]:.2f})")
	from whatsapp_chatbot import kept_metas

	print(kept_metas.describe())
	clean([wa_id])


def _ended(job_id: str, connection) -> bool:
	from rq.job import Job

	job = Job.fetch_many([job_id], connection=connection)[0]
	return job is None or job.get_status(refresh=False) in ("finished", "failed")


def print_run(name: str, measured: list[tuple[float, float]]) -> None:
	totals = sorted(total for _ack, total in measured)
	acknowledged = statistics.median(ack for ack, _total in measured)
	after = statistics.median(total - ack for ack, total in measured)
	print(
		f"{name:20s} p50 {statistics.median(totals):.3f}   p90 {totals[int(len(totals) * 0.9)]:.3f}   "
		f"p99 {totals[min(len(totals) - 1, int(len(totals) * 0.99))]:.3f}   "
		f"(p50: acknowledged {acknowledged:.3f}, reply after it {after:.3f})"
	)


if __name__ == "__main__":
	main()
