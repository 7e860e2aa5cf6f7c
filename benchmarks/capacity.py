"""Capacity benchmark: turns/s per number of RQ workers when every model call takes what a real one
takes, and what a contact sees at 70 % of that.

The OpenAI stand-in answers each call after `--latency` ± `--jitter` seconds (uniform), without
blocking other calls; each turn is a read command with the real number of model calls (the model
calls stock_balance, gets the result, answers: 2 calls), and the answer echoes the tag of the
message it answers. Meta is the Graph stand-in; the site is served by gunicorn; workers are
`bench worker` processes (mode `worker`, one process each), one `bench worker-pool
--num-workers N` (mode `pool`) or one `bench whatsapp-chatbot worker-pool --num-workers N` (mode
`nofork`: no process forked per job) on the turn queue; with `--worker-host PATH` (another bench
folder sharing sites, Redis and database) half of them run from there. Contacts of this run (numbers
no other run uses) write through the signed webhook.

For each mode and number of workers:
- saturation: as many conversations as `--backlog` × workers, each writing again as soon as it is
  answered (more than the workers can take); turns/s = replies/s over the steady part;
- a run at 70 % of that capacity (Poisson arrivals, spread over the contacts): reply latency
  (webhook POST → reply at the Graph stand-in) p50/p99; queue wait p50/p99 (RQ's enqueued_at →
  started_at of this run's processing jobs, read from the turn queue's finished registry); the p99
  an ideal queue would give the very same jobs (queue_model.py: their arrivals and durations through
  a FIFO queue with as many servers that loses no time), so what bursts cost any system and what we
  add are told apart; PSS per worker (/proc/PID/smaps_rollup of every worker process and its
  work-horses, sampled); CPU seconds per turn (user+system of the web and worker process trees,
  reaped children included); whether every message was answered exactly once and, per contact, in
  order;
- a run at the same rate with regular arrivals (one every 1/rate s): its p99 queue wait is the
  workers' own, with no burst to queue behind.
Then the ratio turns/s(max) / (max × turns/s(1)) against ≥ 0.8, and p99 queue wait at 70 % against
≤ 2 s.

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/capacity.py --site test.localhost \\
        --levels 1,2,4,8,16 --modes worker,pool --latency 1.5 --jitter 0.3 --seconds 60
    # half the workers on a second bench folder (a worker host):
    ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/capacity.py --site test.localhost \\
        --levels 2,4,8,16 --modes worker,pool --worker-host /home/frappe/worker-host

Not a test: it prints figures. It removes its own contacts, messages and commands at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from capacity_traffic import Traffic  # the benchmarks folder, not a package
from process_stats import MemorySampler, cpu_seconds, tree
from queue_model import ideal_waits, percentile

# -- one level --------------------------------------------------------------------------------


def start_workers(mode: str, count: int, queue: str, host: str | None) -> list:
	from whatsapp_chatbot.tests.processes import Worker

	local, remote = (count - count // 2, count // 2) if host else (count, 0)
	workers = []
	if mode in ("pool", "nofork"):
		no_fork = mode == "nofork"
		workers.append(Worker(queues=queue, name=f"capacity-{mode}", pool=local, no_fork=no_fork))
		if remote:
			workers.append(
				Worker(queues=queue, name=f"capacity-{mode}-host", pool=remote, bench=host, no_fork=no_fork)
			)
	else:
		workers += [Worker(queues=queue, name=f"capacity-{i}") for i in range(local)]
		workers += [Worker(queues=queue, name=f"capacity-host-{i}", bench=host) for i in range(remote)]
	for worker in workers:
		worker.start()
	return workers


def wait_for_workers(workers: list, queue: str, count: int, timeout: float = 180) -> None:
	"""Until `count` RQ workers of these processes listen on the queue (each has preloaded by then)."""
	from frappe.utils.background_jobs import get_queue, get_workers

	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		ours = {p.pid for w in workers for p in tree(w.process.pid)}
		if sum(1 for w in get_workers(get_queue(queue)) if w.pid in ours) >= count:
			return
		time.sleep(0.5)
	raise RuntimeError(f"{count} workers on {queue} did not start in {timeout} s")


def saturate(traffic: Traffic, workers: int, backlog: int, seconds: float) -> dict:
	"""`backlog` × workers conversations writing again as soon as they are answered."""
	target = backlog * workers
	started = time.time()
	deadline = started + seconds
	warm = max(5.0, seconds * 0.25)
	first_tag_index = traffic.sequence
	while time.time() < deadline:
		traffic.expire()
		while traffic.total_outstanding() < target:
			traffic.post(traffic.idle_contact())
		with traffic.changed:
			traffic.changed.wait(0.2)
	with traffic.changed:
		done = [
			times[0]
			for tag, times in traffic.replies.items()
			if times and int(tag.split("-")[1]) > first_tag_index and started + warm <= times[0] <= deadline
		]
	return {"turns_per_second": completion_rate(sorted(done), seconds - warm), "window": seconds - warm}


def completion_rate(times: list[float], window: float) -> float:
	"""Turns/s from the completions in a window: the intervals between the first and the last of
	them, not their count over the window (with one worker a 22 s window holds 6 or 7 turns of
	~3.3 s, and counting whole turns against the window's edges is off by up to one: ±15 %)."""
	if len(times) >= 3 and times[-1] > times[0]:
		return (len(times) - 1) / (times[-1] - times[0])
	return len(times) / window


def paced(traffic: Traffic, rate: float, seconds: float, queue: str, workers: int, arrivals: str) -> dict:
	"""Arrivals at `rate` for `seconds` (`poisson`: exponential gaps, bursts included; `regular`: one
	every 1/rate s), then until everything is answered."""
	tags = []
	started = time.time()
	next_at = started
	while next_at < started + seconds:
		delay = next_at - time.time()
		if delay > 0:
			time.sleep(delay)
		tags.append(traffic.post(traffic.idle_contact()))
		next_at += random.expovariate(rate) if arrivals == "poisson" else 1 / rate
	answered = traffic.drain(timeout=120 + seconds)
	with traffic.changed:
		latencies = [traffic.replies[t][0] - traffic.posted[t][1] for t in tags if traffic.replies[t]]
		wamids = {traffic.posted[t][2] for t in tags}
	missing, twice, ordered = traffic.check(tags)
	jobs = job_times(queue, wamids)
	return {
		"count": len(tags),
		"latency": latencies,
		"queue_wait": [started_at - enqueued for enqueued, started_at, _ in jobs],
		# the same jobs through a queue that loses no time: the wait the arrivals alone cause
		"ideal_wait": ideal_waits(
			[(enqueued, ended - started_at) for enqueued, started_at, ended in jobs], workers
		),
		"missing": missing,
		"twice": twice,
		"ordered": ordered,
		"drained": answered,
	}


def job_times(queue: str, wamids: set[str]) -> list[tuple[float, float, float]]:
	"""(enqueued, started, ended) in seconds of this run's processing jobs, from the queue's finished
	and failed registries (RQ keeps finished jobs for Frappe's result TTL, 10 minutes)."""
	from frappe.utils.background_jobs import get_queue
	from rq.job import Job
	from rq.registry import FailedJobRegistry, FinishedJobRegistry

	rq_queue = get_queue(queue)
	ids = [
		job_id
		for registry in (FinishedJobRegistry(queue=rq_queue), FailedJobRegistry(queue=rq_queue))
		for job_id in registry.get_job_ids()
		if any(w in job_id for w in wamids)
	]
	times = []
	for job in Job.fetch_many(ids, connection=rq_queue.connection):
		if job and job.enqueued_at and job.started_at and job.ended_at:
			times.append((job.enqueued_at.timestamp(), job.started_at.timestamp(), job.ended_at.timestamp()))
	return times


def level(args, mode: str, count: int, traffic: Traffic, queue: str, web) -> dict:
	workers = start_workers(mode, count, queue, args.worker_host)
	try:
		wait_for_workers(workers, queue, count)
		saturation = saturate(traffic, count, args.backlog, args.seconds)
		if not traffic.drain(timeout=120):
			print(f"  (saturation: {traffic.total_outstanding()} messages still unanswered after 120 s)")
		capacity = saturation["turns_per_second"]
		pids = [w.process.pid for w in workers]
		cpu_before = cpu_seconds(pids) + cpu_seconds([web.process.pid])
		sampler = MemorySampler(pids)
		sampler.start()
		at70 = paced(traffic, max(0.05, 0.7 * capacity), args.seconds, queue, count, "poisson")
		memory = sampler.stop()
		cpu = cpu_seconds(pids) + cpu_seconds([web.process.pid]) - cpu_before
		regular = paced(traffic, max(0.05, 0.7 * capacity), args.seconds, queue, count, "regular")
	finally:
		for worker in workers:
			worker.stop()
	return {
		"mode": mode,
		"workers": count,
		"capacity": capacity,
		"pss_mb": (statistics.median(memory) / 1024 / count) if memory else float("nan"),
		"cpu_per_turn": cpu / max(1, at70["count"]),
		**at70,
		"regular_wait": regular["queue_wait"],
		"regular_ok": not regular["missing"] and not regular["twice"] and regular["ordered"],
	}


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("--levels", default="1,2,4,8,16", help="numbers of workers")
	parser.add_argument(
		"--modes",
		default="worker,pool,nofork",
		help="worker (bench worker ×N), pool (worker-pool), nofork (whatsapp-chatbot worker-pool)",
	)
	parser.add_argument("--latency", type=float, default=1.5, help="seconds per model call")
	parser.add_argument("--jitter", type=float, default=0.3, help="± seconds, uniform")
	parser.add_argument("--graph-latency", type=float, default=0.0, help="seconds per Graph call")
	parser.add_argument("--seconds", type=float, default=60, help="per phase (saturation, 70 %%)")
	parser.add_argument("--backlog", type=int, default=3, help="conversations per worker at saturation")
	parser.add_argument("--worker-host", help="another bench folder: half the workers run from it")
	args = parser.parse_args()
	levels = [int(n) for n in args.levels.split(",")]
	modes = args.modes.split(",")

	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from turn_setup import clean, make_contacts, stand_ins

	from whatsapp_chatbot.jobs.queues import turn_queue
	from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
	from whatsapp_chatbot.tests.processes import WebServer

	run = f"{random.randrange(36**6):06x}"
	facts = make_erpnext_data()
	numbers = make_contacts((args.backlog + 1) * max(levels), facts.company)
	queue = turn_queue()
	web = WebServer(workers=2, name="capacity-web").start()
	traffic = Traffic(run, numbers, web)
	graph, model = stand_ins(args.latency, args.jitter, args.graph_latency, on_reply=traffic.on_reply)
	print(
		f"capacity: model {args.latency} ± {args.jitter} s a call (2 calls a turn), Graph "
		f"{args.graph_latency} s, queue {queue}, {len(numbers)} contacts, {args.seconds:.0f} s a phase"
		+ (f", half the workers from {args.worker_host}" if args.worker_host else "")
		+ f"; load {os.getloadavg()[0]:.2f}",
		flush=True,
	)
	results = []
	try:
		for mode in modes:
			for count in levels:
				result = level(args, mode, count, traffic, queue, web)
				results.append(result)
				print_row(result, flush=True)
	finally:
		traffic.pool.shutdown(wait=True)
		web.stop()
		graph.stop()
		model.stop()
		frappe.db.rollback()
		clean(numbers)
	summary(results, levels, traffic)


HEADER = (
	f"{'mode':7s}{'workers':>8s}{'turns/s':>9s}{'per wkr':>8s}{'sent':>6s}{'lat p50':>9s}{'lat p99':>9s}"
	f"{'wait p50':>9s}{'wait p99':>9s}{'ideal p99':>10s}{'reg p99':>8s}{'PSS MB/wkr':>11s}{'CPU s/turn':>11s}"
	"  once, in order"
)
_printed_header = False


def print_row(r: dict, flush: bool = False) -> None:
	global _printed_header
	if not _printed_header:
		print(HEADER)
		_printed_header = True
	ok = "yes" if not r["missing"] and not r["twice"] else f"NO ({r['missing']} missing, {r['twice']} twice)"
	print(
		f"{r['mode']:7s}{r['workers']:8d}{r['capacity']:9.2f}{r['capacity'] / r['workers']:8.3f}{r['count']:6d}"
		f"{statistics.median(r['latency']) if r['latency'] else float('nan'):9.2f}"
		f"{percentile(r['latency'], 0.99):9.2f}"
		f"{statistics.median(r['queue_wait']) if r['queue_wait'] else float('nan'):9.2f}"
		f"{percentile(r['queue_wait'], 0.99):9.2f}{percentile(r['ideal_wait'], 0.99):10.2f}"
		f"{percentile(r['regular_wait'], 0.99):8.2f}{r['pss_mb']:11.1f}{r['cpu_per_turn']:11.3f}  "
		f"{ok}, {'in order' if r['ordered'] else 'OUT OF ORDER'}"
		f"{'' if r['regular_ok'] else ' (regular run: NOT once and in order)'}",
		flush=flush,
	)


def summary(results: list[dict], levels: list[int], traffic: Traffic) -> None:
	print("\n(turns/s at saturation; the rest at 70 % of it, Poisson arrivals unless said: latency = webhook")
	print(" POST → reply at the Graph stand-in; wait = RQ enqueued_at → started_at; ideal = the same jobs")
	print(" (arrivals, durations) replayed through a FIFO queue with as many servers that loses no time;")
	print(" reg = regular arrivals at the same rate; PSS and CPU of the web and worker processes)")
	top = max(levels)
	for mode in {r["mode"] for r in results}:
		by = {r["workers"]: r for r in results if r["mode"] == mode}
		if 1 in by and top in by and top > 1:
			ratio = by[top]["capacity"] / (top * by[1]["capacity"])
			print(f"{mode}: turns/s({top}) / ({top} × turns/s(1)) = {ratio:.2f}   target ≥ 0.8")
		for count, r in sorted(by.items()):
			regular = percentile(r["regular_wait"], 0.99)
			p99, ideal = percentile(r["queue_wait"], 0.99), percentile(r["ideal_wait"], 0.99)
			print(
				f"{mode} {count:>2d}: p99 queue wait at 70 %: regular arrivals {regular:.2f} s "
				f"(target ≤ 2 s: {'ok' if regular <= 2 else 'OVER'}); Poisson {p99:.2f} s, of which "
				f"the arrivals' bursts alone (ideal queue) {ideal:.2f} s, ours {p99 - ideal:+.2f} s"
			)
	if traffic.errors:
		print(f"webhook errors: {len(traffic.errors)} (first: {traffic.errors[0]})")
	if traffic.failed:
		print(f"turns that failed (answered by the apology, not the model): {traffic.failed}")


if __name__ == "__main__":
	main()
