"""Switching the session user inside a job, without forgetting what does not depend on who it is.

frappe.set_user empties the request cache (frappe.local.cache) along with everything that does
depend on the user. A job of ours switches at least twice (to Administrator for bookkeeping, to the
contact's User for each command), and unpickling the metas of every DocType a command reads and a
language's whole translation table again from Redis after each switch cost a turn some 25 ms; it
would also throw away what a worker keeps between jobs (kept_metas.py, kept_translations.py).
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe


@contextmanager
def as_user(user: str):
	previous = frappe.session.user
	switch_user(user)
	try:
		yield
	finally:
		switch_user(previous)


def switch_user(user: str) -> None:
	"""frappe.set_user, keeping what its fresh request cache need not forget: who the session user
	is changes no DocType's definition and no language's translations, and unpickling them again
	from Redis after each switch cost a turn some 25 ms (the metas of every DocType a command
	reads, a language's whole translation table). Everything else is forgotten, as set_user does."""
	cache = getattr(frappe.local, "cache", None) or {}
	kept = {key: cache[key] for key in _user_independent_keys() if key in cache}
	frappe.set_user(user)
	if kept:
		frappe.local.cache.update(kept)


# frappe.translate.MERGED_TRANSLATION_KEY (v15): a release that renames it only loses the saving
MERGED_TRANSLATIONS = "merged_translations"


def _user_independent_keys() -> tuple:
	# RedisWrapper.hget's per-request cache is keyed by the made key (the site's; some releases
	# share the merged translations between sites, without it)
	return (
		frappe.cache.make_key("doctype_meta"),
		frappe.cache.make_key(MERGED_TRANSLATIONS),
		frappe.cache.make_key(MERGED_TRANSLATIONS, shared=True),
	)
