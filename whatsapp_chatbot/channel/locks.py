"""Locks held in Redis, so they hold across every web and worker process of the bench.

A lock has a timeout: a worker killed while holding one (OOM, deploy, kill -9) frees it when the
timeout passes, and the sweep then hands the work to another worker.
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe


class LockTimeout(Exception):
	"""The lock stayed taken for longer than we were willing to wait."""


def redis():
	# frappe.cache is a function in older v15 releases and the client object in newer ones.
	cache = frappe.cache
	return cache if hasattr(cache, "lock") else cache()


@contextmanager
def held(name: str, timeout: float, wait: float | None = None):
	"""Hold the lock `name` (site-scoped) for at most `timeout` seconds, waiting up to `wait`."""
	client = redis()
	lock = client.lock(
		client.make_key(f"whatsapp_chatbot:lock:{name}"),
		timeout=timeout,
		blocking_timeout=timeout if wait is None else wait,
	)
	if not lock.acquire():
		raise LockTimeout(name)
	try:
		yield lock
	finally:
		try:
			lock.release()
		except Exception:
			# Expired while we worked (we were slower than the timeout): someone else may hold it now.
			pass


def once(name: str, ttl: int) -> bool:
	"""True the first time `name` is seen within `ttl` seconds, across all processes."""
	client = redis()
	return bool(client.set(client.make_key(f"whatsapp_chatbot:once:{name}"), 1, nx=True, ex=ttl))
