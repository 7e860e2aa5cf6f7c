"""The traffic capacity.py offers: messages posted through the signed webhook, by tag, and the
replies the Graph stand-in saw, per contact; whether each was answered once and in order."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor


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
