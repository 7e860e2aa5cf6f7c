"""Capacity benchmark: turns/s per number of RQ workers when every model call takes what a real one
takes, and what a contact sees at 70 % of that.

The OpenAI stand-in answers each call after `--latency` ± `--jitter` seconds (uniform), without
blocking other calls; each turn is a read command with the real number of model calls (the model
calls stock_balance, gets the result, answers: 2 calls), and the answer echoes the tag of the
message it answers. Meta is the Graph stand-in; the site is served by gunicorn; workers are
`bench worker` processes (mode `worker`, one process each) or one `bench worker-pool
--num-workers N` (mode `pool`) on the turn queue; with `--worker-host PATH` (another bench
folder sharing sites, Redis and database) half of them run from there. Contacts of this run (numbers
no other run uses) write through the signed webhook.

For each mode and number of workers:
- saturation: as many conversations as `--backlog` × workers, each writing again as soon as it is
  answered (more than the workers can take); turns/s = replies/s over the steady part;
- a run at 70 % of that capacity (Poisson arrivals, spread over the contacts): reply latency
  (webhook POST → reply at the Graph stand-in) p50/p99; queue wait p50/p99 (RQ's enqueued_at →
  started_at of this run's processing jobs, read from the turn queue's finished registry); PSS per
  worker (/proc/PID/smaps_rollup of every worker process and its work-horses, sampled); CPU
  seconds per turn (user+system of the web and worker process trees, reaped children included);
  whether every message was answered exactly once and, per contact, in order.
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
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))


def percentile(values: list[float], share: float) -> float:
	if not values:
		return float("nan")
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Traffic:
	"""Messages posted (by tag) and replies seen at the Graph stand-in, per contact."""

	def __init__(self, run: str, numbers: list[str], web):
		self.run, self.numbers, self.web = run, numbers, web
		self.changed = threading.Condition()
		self.posted: dict[str, tuple[int, float, str]] = {}  # tag → (contact, posted at, wamid)
		self.sent_order: dict[int, list[str]] = defaultdict(list)
		self.replies: dict[str, list[float]] = defaultdict(list)
		self.reply_order: dict[int, list[str]] = defaultdict(list)
		self.outstanding = [0] * len(numbers)
		self.errors: list[str] = []
		self.failed = 0  # turns answered by an apology, not the model's answer
		self.lost: set[str] = set()  # unanswered for too long (see expire)
		self.index = {number: i for i, number in enumerate(numbers)}
		self.sequence = 0
		self.pool = ThreadPoolExecutor(max_workers=32)
		self.local = threading.local()

	def on_reply(self, tag: str | None, at: float, to: str | None = None) -> None:
		with self.changed:
			if tag not in self.posted:
				# no tag of ours: the bot's own sentence (a failed turn's apology) to one of our
				# contacts answers its oldest unanswered message, counted as failed
				contact = self.index.get(to or "")
				if contact is None:
					return
				waiting = [t for t in self.sent_order[contact] if not self.replies[t]]
				if not waiting:
					return
				tag = waiting[0]
				self.failed += 1
			contact = self.posted[tag][0]
			if not self.replies[tag] and tag not in self.lost:
				self.outstanding[contact] -= 1
			self.replies[tag].append(at)
			self.reply_order[contact].append(tag)
			self.changed.notify_all()

	def post(self, contact: int) -> str:
		"""Post one message of `contact` (in a thread of the pool); returns its tag."""
		with self.changed:
			self.sequence += 1
			tag = f"c{contact}-{self.sequence}"
			wamid = f"wamid.CAP{self.run}{tag.replace('-', 'x')}"
			self.posted[tag] = (contact, time.time(), wamid)
			self.sent_order[contact].append(tag)
			self.outstanding[contact] += 1
		self.pool.submit(self._send, contact, tag, wamid)
		return tag

	def _send(self, contact: int, tag: str, wamid: str) -> None:
		import requests

		from whatsapp_chatbot.tests import factories as f

		session = getattr(self.local, "session", None) or requests.Session()
		self.local.session = session
		body = f.text_webhook(f"stock TORN-M8 #{tag}", wa_id=self.numbers[contact], wamid=wamid)
		raw, headers = f.signed(body)
		try:
			response = session.post(
				self.web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
				data=raw,
				headers=self.web.headers(headers),
				timeout=30,
			)
			if response.status_code != 200:
				self.errors.append(f"{tag}: HTTP {response.status_code}")
		except Exception as error:
			self.errors.append(f"{tag}: {error}")

	def expire(self, max_age: float = 120.0) -> None:
		"""A message unanswered for `max_age` seconds no longer holds its conversation (it counts as
		missing in the check): one lost turn must not stall the offered load."""
		limit = time.time() - max_age
		with self.changed:
			for tag, (contact, posted_at, _wamid) in self.posted.items():
				if posted_at < limit and not self.replies[tag] and tag not in self.lost:
					self.lost.add(tag)
					self.outstanding[contact] -= 1

	def idle_contact(self) -> int:
		"""A contact with nothing waiting (else the one with least), chosen at random."""
		with self.changed:
			least = min(self.outstanding)
			choices = [c for c, n in enumerate(self.outstanding) if n == least]
		return random.choice(choices)

	def total_outstanding(self) -> int:
		with self.changed:
			return sum(self.outstanding)

	def drain(self, timeout: float) -> bool:
		deadline = time.monotonic() + timeout
		with self.changed:
			while sum(self.outstanding) > 0:
				if time.monotonic() > deadline:
					return False
				self.changed.wait(0.5)
				self.changed.release()
				try:
					self.expire()
				finally:
					self.changed.acquire()
		return True

	def check(self, tags: list[str]) -> tuple[int, int, bool]:
		"""(unanswered, answered more than once, every contact's replies in its order) for `tags`."""
		with self.changed:
			wanted = set(tags)
			missing = sum(1 for t in tags if not self.replies[t])
			twice = sum(1 for t in tags if len(self.replies[t]) > 1)
			ordered = all(
				[t for t in self.reply_order[c] if t in wanted]
				== [t for t in self.sent_order[c] if t in wanted]
				for c in {self.posted[t][0] for t in tags}
			)
		return missing, twice, ordered


# -- processes: trees, memory, CPU -----------------------------------------------------------


def tree(pid: int) -> list:
	import psutil

	try:
		root = psutil.Process(pid)
		return [root, *root.children(recursive=True)]
	except psutil.Error:
		return []


def pss_kb(pid: int) -> int:
	try:
		with open(f"/proc/{pid}/smaps_rollup") as file:
			for line in file:
				if line.startswith("Pss:"):
					return int(line.split()[1])
	except OSError:
		pass
	return 0


def cpu_seconds(pids: list[int]) -> float:
	"""user+system of every process in the trees, with the children each has reaped."""
	total = 0.0
	for pid in pids:
		for process in tree(pid):
			try:
				times = process.cpu_times()
			except Exception:
				continue
			total += times.user + times.system + times.children_user + times.children_system
	return total


class MemorySampler(threading.Thread):
	def __init__(self, pids: list[int], interval: float = 2.0):
		super().__init__(daemon=True)
		self.pids, self.interval = pids, interval
		self.samples: list[int] = []  # kB over every tree
		self.stopped = threading.Event()

	def run(self):
		while not self.stopped.wait(self.interval):
			self.samples.append(sum(pss_kb(p.pid) for pid in self.pids for p in tree(pid)))

	def stop(self) -> list[int]:
		self.stopped.set()
		self.join(5)
		return self.samples


# -- one level --------------------------------------------------------------------------------


def start_workers(mode: str, count: int, queue: str, host: str | None) -> list:
	from whatsapp_chatbot.tests.processes import Worker

	local, remote = (count - count // 2, count // 2) if host else (count, 0)
	workers = []
	if mode == "pool":
		workers.append(Worker(queues=queue, name="capacity-pool", pool=local))
		if remote:
			workers.append(Worker(queues=queue, name="capacity-pool-host", pool=remote, bench=host))
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
	return {"turns_per_second": len(done) / (seconds - warm), "window": seconds - warm}


def paced(traffic: Traffic, rate: float, seconds: float, queue: str) -> dict:
	"""Poisson arrivals at `rate` for `seconds`, then until everything is answered."""
	tags = []
	started = time.time()
	next_at = started
	while next_at < started + seconds:
		delay = next_at - time.time()
		if delay > 0:
			time.sleep(delay)
		tags.append(traffic.post(traffic.idle_contact()))
		next_at += random.expovariate(rate)
	answered = traffic.drain(timeout=120 + seconds)
	with traffic.changed:
		latencies = [traffic.replies[t][0] - traffic.posted[t][1] for t in tags if traffic.replies[t]]
		wamids = {traffic.posted[t][2] for t in tags}
	missing, twice, ordered = traffic.check(tags)
	return {
		"count": len(tags),
		"latency": latencies,
		"queue_wait": queue_waits(queue, wamids),
		"missing": missing,
		"twice": twice,
		"ordered": ordered,
		"drained": answered,
	}


def queue_waits(queue: str, wamids: set[str]) -> list[float]:
	"""enqueued_at → started_at of this run's processing jobs, from the queue's finished and failed
	registries (RQ keeps finished jobs for Frappe's result TTL, 10 minutes)."""
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
	waits = []
	for job in Job.fetch_many(ids, connection=rq_queue.connection):
		if job and job.enqueued_at and job.started_at:
			waits.append((job.started_at - job.enqueued_at).total_seconds())
	return waits


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
		at70 = paced(traffic, max(0.05, 0.7 * capacity), args.seconds, queue)
		memory = sampler.stop()
		cpu = cpu_seconds(pids) + cpu_seconds([web.process.pid]) - cpu_before
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
	}


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("--levels", default="1,2,4,8,16", help="numbers of workers")
	parser.add_argument("--modes", default="worker,pool", help="worker (bench worker ×N), pool (worker-pool)")
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
	sys.path.insert(0, HERE)
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
	f"{'wait p50':>9s}{'wait p99':>9s}{'PSS MB/wkr':>11s}{'CPU s/turn':>11s}  once, in order"
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
		f"{percentile(r['queue_wait'], 0.99):9.2f}{r['pss_mb']:11.1f}{r['cpu_per_turn']:11.3f}  "
		f"{ok}, {'in order' if r['ordered'] else 'OUT OF ORDER'}",
		flush=flush,
	)


def summary(results: list[dict], levels: list[int], traffic: Traffic) -> None:
	print("\n(turns/s at saturation; the rest at 70 % of it: latency = webhook POST → reply at the Graph")
	print(" stand-in, wait = RQ enqueued_at → started_at, PSS and CPU of the web and worker processes)")
	top = max(levels)
	for mode in {r["mode"] for r in results}:
		by = {r["workers"]: r for r in results if r["mode"] == mode}
		if 1 in by and top in by and top > 1:
			ratio = by[top]["capacity"] / (top * by[1]["capacity"])
			print(f"{mode}: turns/s({top}) / ({top} × turns/s(1)) = {ratio:.2f}   target ≥ 0.8")
		for count, r in sorted(by.items()):
			p99 = percentile(r["queue_wait"], 0.99)
			verdict = "ok" if p99 <= 2 else "OVER"
			print(f"{mode} {count:>2d}: p99 queue wait at 70 % {p99:.2f} s   target ≤ 2 s: {verdict}")
	if traffic.errors:
		print(f"webhook errors: {len(traffic.errors)} (first: {traffic.errors[0]})")
	if traffic.failed:
		print(f"turns that failed (answered by the apology, not the model): {traffic.failed}")


if __name__ == "__main__":
	main()
