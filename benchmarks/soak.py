"""Soak run (not a timed test): Meta's delivery pattern through the whole chain, with chaos.

`--deliveries` signed webhook deliveries from `--contacts` contacts of this run, a share of them
(`--duplicates`) redeliveries of an earlier wamid (concurrent with the first delivery, right after
it, or later), paced at Meta's default 80 messages/s, go to gunicorn. RQ workers on this bench
(host A) and on a second bench folder (host B, `--worker-host`) answer them through the fake
OpenAI (one call per turn, "ok <id>" after about `--model-latency` s) and the Graph stand-in.
Every `--kill-every` s one worker is SIGKILLed (hosts alternate, a busy one first) and replaced
(`--no-fork`: one `bench whatsapp-chatbot worker-pool` per host, whose pool replaces it);
the web server is restarted once (the sender retries whatever was refused, as Meta does); the
sweep runs every 60 s as the scheduler runs it, with stale_after_seconds lowered for the run.

    cd ~/frappe-bench/sites
    flock /tmp/wcb-site.lock ../env/bin/python ../apps/whatsapp_chatbot/benchmarks/soak.py \\
        --site test.localhost --deliveries 10000 --contacts 200 --kill-every 20

On the 2-core dev box 4000 deliveries from 200 contacts took 5 minutes, the full run about 10
(the web tier takes ~35 deliveries/s there while 4 workers answer ~19 turns/s; the run says what
it reached). A small run: --deliveries 300 --contacts 20 --kill-every 10.

Prints a drain curve every 5 s, then the counts and verdicts (exit status 1 when one fails):
every distinct wamid stored once and answered, answered twice only as often as the kills allow
(at-least-once sends), none out of order per contact, nothing lost. The Settings are restored
and the run's contacts, conversations and messages removed at the end (--keep leaves them).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from soak_traffic import NoForkPools, Sender, Workers, events  # the benchmarks folder, not a package

SETTINGS = "WhatsApp Chatbot Settings"
SWEEP_EVERY = 60  # the app's sweep is scheduled every minute (hooks.py)
FINAL = ("Answered", "Failed", "Ignored", "Handled by Person")
ASKED = re.compile(r"soak (\S+)")
ANSWER = re.compile(r"ok (\S+)")


def worker_host_ready(path: str) -> bool:
	"""A bench folder with an env of its own whose `sites` is this bench's (README, Running at scale)."""
	sites = os.path.join(path, "sites")
	return (
		os.path.exists(os.path.join(path, "env", "bin", "python"))
		and os.path.isdir(sites)
		and os.path.samefile(sites, os.getcwd())
	)


def snapshot_settings() -> tuple[dict, dict]:
	import frappe

	doc = frappe.get_single(SETTINGS)
	values = doc.as_dict(no_default_fields=True)
	secrets = {
		df.fieldname: doc.get_password(df.fieldname, raise_exception=False)
		for df in doc.meta.fields
		if df.fieldtype == "Password"
	}
	return values, secrets


def restore_settings(values: dict, secrets: dict) -> None:
	import frappe

	doc = frappe.get_single(SETTINGS)
	doc.update({k: v for k, v in values.items() if k not in ("doctype", "name")})
	doc.update({k: v for k, v in secrets.items() if v})
	doc.save(ignore_permissions=True)
	frappe.db.commit()


def state(like: str, numbers: tuple) -> dict:
	"""What the site holds for this run (a fresh snapshot), and the turn queue's depth."""
	import frappe
	from frappe.utils.background_jobs import get_queue

	from whatsapp_chatbot.jobs.queues import turn_queue

	frappe.db.rollback()
	rows = frappe.db.sql(
		"select direction, status, count(*) from `tabChatbot Message` where wamid like %s"
		" or (direction = 'Outgoing' and wa_id in %s) group by direction, status",
		(like, numbers),
	)
	incoming = {status: count for direction, status, count in rows if direction == "Incoming"}
	outgoing = {status: count for direction, status, count in rows if direction == "Outgoing"}
	return {
		"incoming": incoming,
		"outgoing": outgoing,
		"stored": sum(incoming.values()),
		"answered": incoming.get("Answered", 0),
		"pending": sum(v for k, v in incoming.items() if k not in FINAL)
		+ sum(outgoing.get(k, 0) for k in ("Queued", "Sending")),
		"queue": get_queue(turn_queue()).count,
	}


def replies(graph, numbers: set) -> tuple[collections.Counter, dict, collections.Counter]:
	"""Replies at the Graph stand-in per message id, first replies per contact in arrival order,
	and the other sends to this run's contacts by text (busy notices, apologies)."""
	counts, order, other = collections.Counter(), collections.defaultdict(list), collections.Counter()
	for body in graph.sent_messages():
		if body.get("to") not in numbers:
			continue
		text = ((body.get("text") or {}).get("body") or "").strip()
		answer = ANSWER.fullmatch(text)
		if not answer:
			other[text[:60] or body.get("type")] += 1
			continue
		counts[answer[1]] += 1
		if counts[answer[1]] == 1:
			order[body["to"]].append(answer[1])
	return counts, order, other


def clean(like: str, numbers: tuple, contacts: list[str]) -> None:
	import frappe
	from frappe.utils.background_jobs import get_queue

	from whatsapp_chatbot.jobs.queues import turn_queue

	frappe.db.rollback()
	frappe.db.sql("delete from `tabChatbot Message` where wamid like %s", like)
	if numbers:
		frappe.db.delete("Chatbot Message", {"wa_id": ("in", numbers)})
	if contacts:
		for doctype in ("Chatbot Command", "Chatbot Conversation"):
			frappe.db.delete(doctype, {"contact": ("in", contacts)})
		frappe.db.delete("Chatbot Contact", {"name": ("in", contacts)})
	frappe.db.commit()
	# jobs that died with their worker (RQ files some only after the run, so earlier runs' too)
	for name in dict.fromkeys((turn_queue(), "short")):
		registry = get_queue(name).failed_job_registry
		for job_id in registry.get_job_ids():
			if "whatsapp_chatbot:process:wamid.SOAK." in job_id:
				registry.remove(job_id, delete_job=True)


def arguments():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="test.localhost")
	parser.add_argument("--deliveries", type=int, default=10000)
	parser.add_argument("--duplicates", type=float, default=0.3, help="share of redeliveries")
	parser.add_argument("--contacts", type=int, default=200)
	parser.add_argument("--rate", type=float, default=80, help="deliveries per second (Meta's default)")
	parser.add_argument("--kill-every", type=float, default=20, help="seconds between kills (0: none)")
	parser.add_argument("--workers-a", type=int, default=2)
	parser.add_argument("--workers-b", type=int, default=2)
	parser.add_argument("--no-fork", action="store_true", help="a whatsapp-chatbot worker-pool per host")
	parser.add_argument("--worker-host", default="/home/frappe/worker-host")
	parser.add_argument("--model-latency", type=float, default=0.05, help="mean seconds per model call")
	parser.add_argument("--restart-web-at", type=float, help="seconds into the run (default: mid-sending)")
	parser.add_argument("--stale-after", type=int, default=20, help="stale_after_seconds for the run")
	parser.add_argument("--drain-timeout", type=float, default=1800, help="seconds after the sending")
	parser.add_argument("--seed", type=int, default=1)
	parser.add_argument("--keep", action="store_true", help="leave the run's records")
	return parser.parse_args()


class Soak:
	def __init__(self, args):
		import frappe

		from whatsapp_chatbot.jobs.queues import turn_queue

		self.args, self.rng = args, random.Random(args.seed)
		self.run = frappe.generate_hash(length=6).upper()
		self.like = f"wamid.SOAK.{self.run}-%"
		prefix = f"1555{random.randrange(10**6):06d}"  # numbers of this run: no other run's contact
		self.numbers = tuple(f"{prefix}{c:03d}" for c in range(args.contacts))
		self.distinct, kinds = events(args.deliveries, args.duplicates, self.rng)
		d, n = self.distinct, args.contacts
		self.sender = Sender(
			self.run, list(self.numbers), [d // n + (c < d % n) for c in range(n)], kinds, args, self.rng
		)
		self.web = self.workers = None
		self.contacts, self.sweeps, self.notes = [], collections.Counter(), []
		self.drained_at, self.timed_out = None, False
		self.model_calls = itertools.count(1)
		self.graph = self.model = self.saved = None
		ready = worker_host_ready(args.worker_host)
		self.hosts = {"A": (None, args.workers_a + (0 if ready else args.workers_b))}
		if ready:
			self.hosts["B"] = (args.worker_host, args.workers_b)
		self.queues = ",".join(dict.fromkeys((turn_queue(), "short")))

	def prepare(self) -> None:
		"""The stand-ins, the Settings pointing at them, and the run's contacts (one chat user)."""
		from whatsapp_chatbot.tests import factories as f
		from whatsapp_chatbot.tests.fake_graph import FakeGraph

		self.graph = FakeGraph(access_token=f.ACCESS_TOKEN).start()
		self.model = self._model().start()
		self.saved = snapshot_settings()
		f.make_settings(
			self.graph.base_url,
			openai_api_key="sk-soak",
			openai_base_url=self.model.base_url,
			openai_model="gpt-4.1-mini",
			openai_timeout=30,
			history_turns=2,
			stale_after_seconds=self.args.stale_after,
		)
		user = f.make_chat_user("chatbot-soak@example.com")
		for number in self.numbers:
			self.contacts.append(f.make_contact(number, user=user, language="en").name)

	def _model(self):
		"""The fake OpenAI: one call per turn, answering "ok <id>" for the message "soak <id>"."""
		import inspect

		from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, from_request, say

		latency = self.args.model_latency
		own = "latency" in inspect.signature(FakeOpenAI.__init__).parameters  # the stand-in's own wait
		model = FakeOpenAI(latency=latency, jitter=latency / 2) if own else FakeOpenAI()

		def answer(request: dict):
			next(self.model_calls)
			asked = [m for m in request.get("messages", []) if m.get("role") == "user"]
			found = ASKED.search(str(asked[-1].get("content") if asked else ""))
			delay = 0 if own else latency * self.rng.uniform(0.5, 1.5)
			return say(f"ok {found[1] if found else '?'}", delay=delay)

		model.default = from_request(answer)
		return model

	def describe(self) -> None:
		a = self.args
		sending = a.deliveries / a.rate
		print(
			f"soak {self.run}: {a.deliveries} deliveries ({self.distinct} distinct, {a.deliveries - self.distinct}"
			f" redeliveries) from {a.contacts} contacts at {a.rate:g}/s (~{sending:.0f} s of sending)"
		)
		host_b = f", host B {self.hosts['B'][1]} ({a.worker_host})" if "B" in self.hosts else ""
		missing = "" if host_b else f" (no worker host ready at {a.worker_host}: every worker on A)"
		print(f"workers on queues {self.queues}: host A {self.hosts['A'][1]}{host_b}{missing}")
		print(
			f"a kill every {a.kill_every:g} s, web restart at {self.restart_at():.0f} s, sweep every "
			f"{SWEEP_EVERY} s, stale_after_seconds {a.stale_after}; fake model ~{a.model_latency:g} s a "
			"call (small, so the turns drain in minutes on 2 cores), Graph stand-in instant"
		)

	def restart_at(self) -> float:
		a = self.args
		return a.restart_web_at if a.restart_web_at is not None else a.deliveries / a.rate / 2

	def go(self) -> None:
		import frappe

		from whatsapp_chatbot.jobs.sweep import sweep
		from whatsapp_chatbot.tests.processes import WebServer

		a, sender = self.args, self.sender
		self.web = WebServer(workers=2).start()
		self.workers = (NoForkPools if a.no_fork else Workers)(self.queues, self.hosts)
		started = time.monotonic()
		sender.start(self.web)
		next_kill, next_sweep, next_print = a.kill_every or float("inf"), SWEEP_EVERY, 0.0
		restart_at = self.restart_at()
		print(
			f"\n{'t s':>6}{'accepted':>10}{'stored':>8}{'answered':>10}{'replied':>9}{'pending':>9}{'queue':>7}"
		)
		while True:
			now = time.monotonic() - started
			if restart_at is not None and now >= restart_at:
				down = time.monotonic()
				self.web.stop()
				self.web = WebServer(workers=2, port=self.web.port).start()
				sender.point_at(self.web)
				self.notes.append(
					f"web server restarted at {now:.0f} s, down {time.monotonic() - down:.1f} s"
				)
				print(f"  {self.notes[-1]}")
				restart_at = None
			if now >= next_kill:
				print(f"  {now:5.0f} s: killed a worker on host {self.workers.kill_one()}")
				next_kill += a.kill_every
			if now >= next_sweep:
				self.sweeps.update(sweep())
				frappe.db.commit()
				next_sweep += SWEEP_EVERY
			done = sender.done.is_set()
			if now >= next_print or done:
				site = state(self.like, self.numbers)
				if now >= next_print:
					replied = len(replies(self.graph, set(self.numbers))[0])
					self.model.reset()  # only the count is needed: the requests would hold every prompt
					print(
						f"{now:6.0f}{sender.counts['accepted']:>10}{site['stored']:>8}{site['answered']:>10}"
						f"{replied:>9}{site['pending']:>9}{site['queue']:>7}"
					)
					next_print += 5
				if sender.error:
					raise RuntimeError(f"the sender failed: {sender.error}")
				if done and site["stored"] >= self.distinct and not site["pending"]:
					self.drained_at = now
					break
				if done and now > sender.finished - started + a.drain_timeout:
					self.timed_out = True
					break
			time.sleep(0.5 if done else 0.2)
		time.sleep(1)  # a send is recorded Sent after the stand-in answered it: let that thread finish

	def report(self) -> list[str]:
		import frappe

		sender, kills = self.sender, sum(self.workers.kills.values()) if self.workers else 0
		site = state(self.like, self.numbers)
		counts, order, other = replies(self.graph, set(self.numbers))
		ids = list(sender.bodies)
		twice = [i for i in ids if counts[i] > 1]
		extra = sum(counts[i] - 1 for i in twice)
		never = [i for i in ids if not counts[i]]
		stray = set(counts) - set(ids)
		seq = lambda ident: int(ident.split("-")[2])  # noqa: E731
		late = sum(1 for firsts in order.values() for a, b in itertools.pairwise(firsts) if seq(b) < seq(a))
		answer_rows = frappe.db.count(  # the outbox's key makes one row per answer, whoever runs the turn
			"Chatbot Message",
			{"direction": "Outgoing", "wa_id": ("in", self.numbers), "text": ("like", "ok %")},
		)
		sent_for = (sender.finished or time.monotonic()) - sender.started
		print(
			f"\nsoak {self.run}: sent for {sent_for:.0f} s ({sender.counts['accepted'] / sent_for:.1f} accepted/s)"
		)
		if self.drained_at is not None:
			print(
				f"drained {self.drained_at - sent_for:.0f} s after the last delivery ({self.drained_at:.0f} s in all)"
			)
		print(f"sender: {dict(sorted(sender.counts.items()))}")
		for name, values in (("POST", sender.latencies), ("first try to accepted", sender.until_accepted)):
			values = sorted(values) or [0.0]
			p50, p99 = values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))]
			print(f"acknowledgement, {name}: p50 {p50:.3f} s, p99 {p99:.3f} s, max {values[-1]:.3f} s")
		print("; ".join(self.notes) or "web server not restarted (the run ended first)")
		busy = self.workers.kills["busy"] if self.workers else 0
		print(f"kills: {kills} ({busy} of a busy worker); sweeps: {dict(+self.sweeps)}")
		print(f"incoming by status: {site['incoming']}; outgoing by status: {site['outgoing']}")
		print(f"model calls: {next(self.model_calls) - 1} for {self.distinct} distinct messages")
		failed = []

		def verdict(name: str, value, ok: bool) -> None:
			print(f"  {name:<56}{value!s:>8}  {'OK' if ok else 'FAIL'}")
			if not ok:
				failed.append(name)

		print("\nverdicts")
		stored_once = site["stored"] == len(ids) == self.distinct
		verdict("distinct messages stored (= distinct wamids sent)", site["stored"], stored_once)
		verdict(
			"redeliveries accepted as duplicates (none stored)",
			sum(v for k, v in sender.counts.items() if k.startswith("accepted redelivery")),
			stored_once,
		)
		rejected = sender.counts["rejected for good (4xx)"]
		verdict("deliveries rejected for good", rejected, not rejected)
		verdict("answered exactly once", sum(1 for i in ids if counts[i] == 1), True)
		verdict(f"answered twice or more (extra sends {extra} <= {kills} kills)", len(twice), extra <= kills)
		verdict("never answered", len(never), not never)
		verdict("answers to no message of this run", len(stray), not stray)
		verdict("other sends to this run's contacts", sum(other.values()), True)
		for text, count in other.most_common(5):
			print(f"    {count} x {text!r}")
		verdict("answer rows stored (= messages answered)", answer_rows, answer_rows == site["answered"])
		verdict("out of order per contact", late, not late)
		verdict("drained before the timeout", "no" if self.timed_out else "yes", not self.timed_out)
		if never:
			print(f"never answered (first 10): {never[:10]}")
		return failed

	def close(self) -> None:
		for process in (self.workers, self.web):
			if process:
				process.stop()
		for stand_in in (self.graph, self.model):
			if stand_in:
				stand_in.stop()
		try:
			if self.saved:
				restore_settings(*self.saved)
		except Exception as error:  # the figures stand; say what could not be put back
			print(f"could not restore the Settings: {error}")
		if not self.args.keep:
			clean(self.like, self.numbers, self.contacts)


def main():
	args = arguments()
	sys.stdout.reconfigure(line_buffering=True)  # the drain curve as it comes, into a file too
	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	soak = Soak(args)
	failed = ["the run did not finish"]
	try:
		soak.prepare()
		soak.describe()
		soak.go()
		soak.workers.stop()  # nothing may send once the counting starts
		failed = soak.report()
	finally:
		soak.close()
	print("FAIL: " + ", ".join(failed) if failed else "all verdicts hold")
	raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
	main()
