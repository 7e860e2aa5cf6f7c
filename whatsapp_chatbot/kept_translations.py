"""A language's merged translations, kept in the process between jobs and requests.

Frappe keeps each language's merged table (every app's CSV and the site's Translation records, some
megabytes pickled) in Redis and unpickles it once per job or request: about 7 ms of every turn in
Spanish, the largest single cost of a turn. A process that lives for many jobs (a worker of the
no-fork pool, a gunicorn worker) keeps the table, and per job only asks Redis whether it is still
the current one: one HGET of a stamp kept in Frappe's own hash of merged tables.

In Frappe's hash, because whatever drops merged tables then drops the stamp with them:
`frappe.translate.clear_cache` (migrate, a label changed in Customize Form) and a full
`clear_cache` delete the whole hash. A Translation record saved or deleted drops only its
language's table; `forget` (doc_events) drops the stamps of that language and of its variants
(es-MX reads es) once the change is committed, and their tables too, which Frappe drops before its
commit, so that a table merged meanwhile from the old record could otherwise stay.

A stamp is written before the table is read, so a drop in between takes the stamp with it and the
next job reads again; processes share one stamp per language (the first one written stays), so
many workers never make each other read again.
"""

from __future__ import annotations

import frappe
import redis
from frappe.translate import MERGED_TRANSLATION_KEY, get_all_translations

STAMP_PREFIX = "whatsapp_chatbot:kept:"

# (site, language) → (stamp, table); this process only
_kept: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}


def table(language: str) -> dict[str, str]:
	"""Frappe's merged translations for `language` (what `get_all_translations` returns), also put
	where Frappe's `_()` looks first for the rest of this job or request."""
	local = frappe.local.cache.setdefault(_hash(), {})
	if language in local:  # this job already has it
		return local[language]
	key = (frappe.local.site, language)
	field = STAMP_PREFIX + language
	stamp = _stamp(field)
	kept = _kept.get(key)
	if kept and stamp and kept[0] == stamp:
		translations = kept[1]
	else:
		if not stamp:
			# the first stamp written stays: a second worker adopts it rather than replace it
			redis.Redis.hsetnx(frappe.cache, _hash(), field, frappe.generate_hash(length=12))
			stamp = _stamp(field)
		translations = get_all_translations(language)
		if stamp:
			_kept[key] = (stamp, translations)
	local[language] = translations
	return translations


def forget(doc, method=None, *_rename_args) -> None:
	"""A Translation saved, renamed or deleted (doc_events): once committed, no process keeps the
	merged table of its language, or of that language's variants."""
	languages = {doc.language}
	before = doc.get_doc_before_save()
	if before and before.language:  # moved from one language to another: both change
		languages.add(before.language)
	frappe.db.after_commit.add(lambda: drop(languages))


def drop(languages: set[str]) -> None:
	"""Drop the merged tables and stamps of `languages` and their variants, in Redis."""
	fields = [_text(field) for field in frappe.cache.hkeys(MERGED_TRANSLATION_KEY)]
	stale = [
		field
		for field in fields
		if any(
			_language_of(field) == language or _language_of(field).startswith(language + "-")
			for language in languages
		)
	]
	for field in stale:
		frappe.cache.hdel(MERGED_TRANSLATION_KEY, field)


def _language_of(field: str) -> str:
	return field.removeprefix(STAMP_PREFIX)


def _hash() -> str:
	return frappe.cache.make_key(MERGED_TRANSLATION_KEY)


def _stamp(field: str) -> str | None:
	# Redis's own HGET: Frappe's would unpickle, and keep the answer for the rest of the job
	return _text(redis.Redis.hget(frappe.cache, _hash(), field))


def _text(value) -> str | None:
	return value.decode() if isinstance(value, bytes) else value
