"""The traffic of soak.py: Meta's side (paced deliveries in order per contact, redeliveries,
retries with back-off of what was refused) and the RQ workers of each host, killed and replaced."""

from __future__ import annotations

import collections
import itertools
import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

WEBHOOK = "/api/method/whatsapp_chatbot.api.webhook"


def events(deliveries: int, duplicates: float, rng: random.Random) -> tuple[int, list[str]]:
	"""How many distinct messages, and the delivery events in sending order: 'new' (a first
	delivery), 'pair' (a first delivery and a redelivery of it at the same moment), 'soon' (the
	latest first delivery again, while it may still be in flight) and 'later' (any earlier one)."""
	redeliveries = round(deliveries * duplicates)
	distinct = deliveries - redeliveries
	pair = min(redeliveries // 3, distinct)
	soon = redeliveries // 3
	kinds = ["new"] * (distinct - pair) + ["pair"] * pair + ["soon"] * soon
	kinds += ["later"] * (redeliveries - pair - soon)
	rng.shuffle(kinds)
	first = next((i for i, kind in enumerate(kinds) if kind in ("new", "pair")), 0)
	return distinct, [kinds[first], *kinds[:first], *kinds[first + 1 :]]  # a first delivery first


class Sender:
	"""Meta's side: paced deliveries in order per contact (a contact's next message is sent once
	the previous one was accepted), redeliveries of the same bytes, and retries with back-off of
	whatever was refused (connection refused, 5xx, timeout) until it is accepted."""

	def __init__(self, run: str, numbers: list[str], per_contact: list[int], kinds, args, rng):
		self.run, self.numbers, self.kinds, self.rate, self.rng = run, numbers, kinds, args.rate, rng
		self.waiting = {c: collections.deque(range(1, n + 1)) for c, n in enumerate(per_contact)}
		self.free = {c for c, n in enumerate(per_contact) if n}
		self.last_timestamp: dict[int, int] = {}
		self.bodies: dict[str, tuple[bytes, dict]] = {}
		self.launched: list[str] = []
		self.counts = collections.Counter()
		self.url = ""
		self.host = ""
		self.lock = threading.Lock()
		self.local = threading.local()
		self.done = threading.Event()
		self.started = self.finished = 0.0
		self.error = None
		self.latencies: list[float] = []  # seconds of the POST that was accepted
		self.until_accepted: list[float] = []  # from the first try, refusals and back-off included
		self.thread = threading.Thread(target=self._run, name="soak-sender", daemon=True)

	def start(self, web) -> None:
		self.point_at(web)
		self.started = time.monotonic()
		self.thread.start()

	def point_at(self, web) -> None:
		self.url, self.host = web.base_url + WEBHOOK, web.site

	def _run(self) -> None:
		try:
			self._send_all()
		except Exception as error:  # the run cannot stand: the main loop stops on it
			self.error = repr(error)
		finally:
			self.finished = time.monotonic()
			self.done.set()

	def _send_all(self) -> None:
		from whatsapp_chatbot.tests import factories

		next_at = time.monotonic()
		with ThreadPoolExecutor(max_workers=256, thread_name_prefix="soak-post") as pool:
			futures = []
			for kind in self.kinds:
				delay = next_at - time.monotonic()
				if delay > 0:
					time.sleep(delay)
				if kind in ("new", "pair"):
					ident = self._next_new(factories)
					futures.append(pool.submit(self._deliver, ident, kind))
					if kind == "pair":
						futures.append(pool.submit(self._deliver, ident, "concurrent"))
				else:
					with self.lock:
						ident = self.launched[-1] if kind == "soon" else self.rng.choice(self.launched)
					futures.append(pool.submit(self._deliver, ident, kind))
				# Meta's rate is a ceiling: after a stall (the web restart) no burst beyond a second's worth
				next_at = max(next_at + (2 if kind == "pair" else 1) / self.rate, time.monotonic() - 1)
			for future in futures:
				future.result()

	def _next_new(self, factories) -> str:
		while True:
			with self.lock:
				if self.free:
					contact = self.rng.choice(tuple(self.free))
					self.free.discard(contact)
					seq = self.waiting[contact].popleft()
					break
			time.sleep(0.005)  # every contact with messages left waits for its previous one
		ident = f"{self.run}-{contact:03d}-{seq:04d}"
		timestamp = max(int(time.time()), self.last_timestamp.get(contact, 0) + 1)
		self.last_timestamp[contact] = timestamp
		body = factories.text_webhook(
			f"soak {ident}", wa_id=self.numbers[contact], wamid=f"wamid.SOAK.{ident}", name="Soak"
		)
		body["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(timestamp)
		with self.lock:
			self.bodies[ident] = factories.signed(body)
			self.launched.append(ident)
		return ident

	def _session(self):
		import requests

		if not hasattr(self.local, "session"):
			self.local.session = requests.Session()
		return self.local.session

	def _deliver(self, ident: str, kind: str) -> None:
		import requests

		raw, signed = self.bodies[ident]
		backoff, first_try = 0.2, time.monotonic()
		while True:
			began = time.monotonic()
			try:
				status = (
					self._session()
					.post(self.url, data=raw, headers={**signed, "Host": self.host}, timeout=10)
					.status_code
				)
			except requests.Timeout:
				status = "timeout"
			except requests.ConnectionError:
				status = "connection refused"
			if status == 200:
				break
			with self.lock:
				self.counts[f"refused ({status})"] += 1
			if isinstance(status, int) and 400 <= status < 500 and status != 429:
				with self.lock:
					self.counts["rejected for good (4xx)"] += 1
				return  # our fault (a signature?): retrying would loop forever
			time.sleep(backoff)
			backoff = min(5.0, backoff * 2)
		with self.lock:
			self.latencies.append(time.monotonic() - began)
			self.until_accepted.append(time.monotonic() - first_try)
			self.counts["accepted"] += 1
			self.counts["accepted first" if kind in ("new", "pair") else f"accepted redelivery ({kind})"] += 1
			if kind in ("new", "pair"):
				contact = int(ident.split("-")[1])
				if self.waiting[contact]:
					self.free.add(contact)


class Workers:
	"""RQ workers per host, each a `bench worker` of its own, so one can be killed alone."""

	def __init__(self, queues: str, hosts: dict[str, tuple[str | None, int]]):
		from whatsapp_chatbot.tests.processes import Worker

		self.Worker, self.queues, self.hosts = Worker, queues, hosts
		self.live = {host: [self._start(host) for _ in range(count)] for host, (_, count) in hosts.items()}
		self.turns = itertools.cycle([host for host, (_, count) in hosts.items() if count])
		self.kills = collections.Counter()

	def _start(self, host: str):
		return self.Worker(queues=self.queues, name=f"soak-{host}", bench=self.hosts[host][0]).start()

	def kill_one(self) -> str:
		"""SIGKILL a worker and its work-horse, then start its replacement. Hosts take turns; a busy
		worker is preferred (on the other host if this one's are idle): an idle one dies harmlessly."""
		import psutil

		def busy(worker) -> bool:
			try:
				return bool(psutil.Process(worker.process.pid).children(recursive=True))
			except psutil.Error:
				return False

		first = next(self.turns)
		hosts = [first] + [h for h in self.live if h != first and self.live[h]]
		found = [(h, w) for h in hosts for w in self.live[h] if busy(w)]
		host, victim = found[0] if found else (first, self.live[first][0])
		victim.kill()
		self.live[host].remove(victim)
		self.live[host].append(self._start(host))
		self.kills["busy" if found else "idle"] += 1
		return f"{host} ({'busy' if found else 'idle'})"

	def stop(self) -> None:
		for workers in self.live.values():
			for worker in workers:
				worker.stop()


class NoForkPools:
	"""One `bench whatsapp-chatbot worker-pool` per host: its workers run their jobs themselves, so
	a kill takes a worker in the middle of a turn, and the pool starts another in its place."""

	def __init__(self, queues: str, hosts: dict[str, tuple[str | None, int]]):
		from whatsapp_chatbot.tests.processes import Worker

		self.pools = {
			host: Worker(
				queues=queues, name=f"soak-nofork-{host}", pool=count, bench=bench, no_fork=True
			).start()
			for host, (bench, count) in hosts.items()
			if count
		}
		self.turns = itertools.cycle(list(self.pools))
		self.kills = collections.Counter()

	def kill_one(self) -> str:
		"""SIGKILL one pool worker: a busy one (RQ says so) on this host, else on the other, else any."""
		import psutil
		from frappe.utils.background_jobs import get_redis_conn
		from rq import Worker as RQWorker

		busy = {w.pid for w in RQWorker.all(connection=get_redis_conn()) if w.get_state() == "busy"}

		def workers(host: str) -> list[int]:
			try:
				return [c.pid for c in psutil.Process(self.pools[host].process.pid).children()]
			except psutil.Error:
				return []

		first = next(self.turns)
		hosts = [first] + [h for h in self.pools if h != first]
		found = [(h, pid) for h in hosts for pid in workers(h) if pid in busy]
		fallback = [(h, pid) for h in hosts for pid in workers(h)]
		if not (found or fallback):
			return "none (no worker running)"
		host, victim = (found or fallback)[0]
		try:
			os.kill(victim, signal.SIGKILL)
		except ProcessLookupError:
			pass
		self.kills["busy" if found else "idle"] += 1
		return f"{host} ({'busy' if found else 'idle'})"

	def stop(self) -> None:
		for pool in self.pools.values():
			pool.stop()
