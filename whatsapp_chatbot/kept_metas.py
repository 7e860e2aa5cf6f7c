"""This app's DocType metas, kept in the process between requests and jobs.

Frappe reads a DocType's meta from Redis and unpickles it once per request or job: Chatbot Message's
costs about 0.6 ms, an eighth of a webhook request, and a turn reads seven of ours. A process that
lives for many of them (a gunicorn worker, a worker of the no-fork pool) keeps the metas of this
app's DocTypes and puts them where Frappe's get_meta looks first (frappe.local.cache), for as long
as Frappe's `metadata_version` is the one they were read under: every change to a DocType, Custom
Field, Property Setter or Customize Form, and every full clear_cache, sets a new one. One GET per
request or job.

Frappe sets the new version when the change is made, before it is committed, and drops its own
Redis copy of the meta once more after the commit: a meta read in between may still be the old one.
So nothing is kept until a version has stood for SETTLE_SECONDS, longer than a request or a job
making such a change runs (gunicorn's timeout is 120 s, the long queue's 1,500 s); the processes
agree through Redis on when each version was first seen. Meanwhile metas are read as Frappe reads
them. Only this app's DocTypes: no code of ours changes a meta it reads.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import frappe
import redis

MODULE = "WhatsApp Chatbot"  # whose DocTypes are kept
SETTLE_SECONDS = 1800
SINCE_KEY = "whatsapp_chatbot:metadata_version_since:"


@dataclass
class _Site:
	version: bytes | None
	since: float
	metas: dict = field(default_factory=dict)


_sites: dict[str, _Site] = {}  # this process only


def seed() -> None:
	"""At a request's or job's start: what this process keeps, where Frappe's get_meta looks first,
	when the metas are still current."""
	kept = _current()
	if kept.metas:
		frappe.local.cache.setdefault(_hash(), {}).update(kept.metas)


def keep() -> None:
	"""At a request's or job's end: keep this app's metas it read, once the version has settled."""
	kept = _sites.get(frappe.local.site)
	if not kept or time.time() - kept.since < SETTLE_SECONDS:
		return
	for doctype, meta in (frappe.local.cache.get(_hash()) or {}).items():
		if doctype not in kept.metas and getattr(meta, "module", None) == MODULE:
			kept.metas[doctype] = meta


def before_job(method: str | None = None, **_kwargs) -> None:
	if (method or "").startswith("whatsapp_chatbot."):
		seed()


def after_job(method: str | None = None, **_kwargs) -> None:
	if (method or "").startswith("whatsapp_chatbot."):
		keep()


def describe() -> str:
	"""Whether the processes keep metas now, for the benchmarks' reports."""
	settled = time.time() - _current().since - SETTLE_SECONDS
	if settled >= 0:
		return "kept metas (kept_metas.py): in use, no DocType changed for the last %.0f min" % (
			(settled + SETTLE_SECONDS) / 60
		)
	return "kept metas (kept_metas.py): not in use yet, a DocType changed: kept %.0f min from now" % (
		-settled / 60
	)


def _current() -> _Site:
	version = redis.Redis.get(frappe.cache, frappe.cache.make_key("metadata_version"))
	kept = _sites.get(frappe.local.site)
	if kept is None or kept.version != version:
		kept = _sites[frappe.local.site] = _Site(version, _first_seen(version))
	return kept


def _first_seen(version: bytes | None) -> float:
	"""When a process of this site first saw `version` (now, if none had)."""
	key = frappe.cache.make_key(SINCE_KEY + hashlib.sha1(version or b"").hexdigest())
	redis.Redis.set(frappe.cache, key, repr(time.time()), nx=True, ex=30 * 86400)
	return float(redis.Redis.get(frappe.cache, key) or time.time())


def _hash() -> str:
	return frappe.cache.make_key("doctype_meta")
