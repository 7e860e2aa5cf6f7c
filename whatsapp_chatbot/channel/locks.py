"""Locks held in Redis, so they hold across every web and worker process of the bench.

A held lock is renewed by a heartbeat thread of the process holding it, so it lasts as long as that
process works, however slow the work (a model call, a long export). Its timeout only says how long
it outlives a worker killed while holding it (OOM, deploy, kill -9): then it frees by itself, and
the sweep hands the work to another worker. A lock that is taken therefore means a live worker.

A sender's turn lock (`sender`) is only ever tried, never waited for (wait=0): the job that holds
it answers the sender's other messages, so a second job has nothing to wait for, and a worker
parked on a busy contact would be a worker taken from every other contact.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import frappe
from redis.exceptions import LockNotOwnedError, RedisError


class LockTimeout(Exception):
	"""The lock stayed taken for longer than we were willing to wait."""


def redis():
	# frappe.cache is a function in older v15 releases and the client object in newer ones.
	cache = frappe.cache
	return cache if hasattr(cache, "lock") else cache()


def key(client, name: str) -> str:
	return client.make_key(f"whatsapp_chatbot:lock:{name}")


@contextmanager
def held(name: str, timeout: float, wait: float | None = None):
	"""Hold the lock `name` (site-scoped) while the block runs, waiting up to `wait` seconds for it
	(default: `timeout`; 0 tries once); LockTimeout if it stays taken. Renewed every third of
	`timeout`."""
	client = redis()
	lock = client.lock(
		key(client, name),
		timeout=timeout,
		blocking=wait != 0,
		blocking_timeout=timeout if wait is None else wait,
		thread_local=False,  # the heartbeat thread renews it with the token this thread took
	)
	if not lock.acquire():
		raise LockTimeout(name)
	stop = threading.Event()
	beat = threading.Thread(
		target=_renew, args=(lock, stop, max(0.5, timeout / 3)), name=f"lock-{name}", daemon=True
	)
	beat.start()
	try:
		yield lock
	finally:
		stop.set()
		beat.join(5)
		try:
			lock.release()
		except Exception:
			# lost meanwhile (Redis flushed or failed over): someone else may hold it now
			pass


def _renew(lock, stop: threading.Event, every: float) -> None:
	while not stop.wait(every):
		try:
			lock.reacquire()  # the TTL back to the full timeout
		except LockNotOwnedError:
			return  # lost (Redis flushed): renewing someone else's lock would be worse
		except RedisError:
			continue  # a blip: the next beat tries again, well before the lock expires


def sender(sender_key: str) -> str:
	"""The lock of one sender's turns (jobs/process_message.py; the sweep looks at it)."""
	return f"contact:{sender_key}"


def is_held(name: str) -> bool:
	"""True while some process holds the lock `name` (or died holding it less than its timeout ago)."""
	client = redis()
	# shared: the key is made already (Frappe's exists() would prefix it with the site again)
	return bool(client.exists(key(client, name), shared=True))


def once(name: str, ttl: int) -> bool:
	"""True the first time `name` is seen within `ttl` seconds, across all processes."""
	client = redis()
	return bool(client.set(client.make_key(f"whatsapp_chatbot:once:{name}"), 1, nx=True, ex=ttl))
