"""What the bot says by itself, in the user's language, through Frappe's own translations.

A sentence is its English msgid ("Created {doctype} *{name}*") looked up in Frappe's merged table
for the language: the apps' `translations/<lang>.csv` (ours ship es and pt), the parent language
for variants (pt-BR reads pt), and the site's Translation records, which an admin edits in the Desk
and which Frappe's cache drops on save (so the next message already says it the new way).

A language speaks only when every msgid of the bot is translated (msgids.choose): otherwise the
bot answers in English whole, never half. During a turn `speaking` sets `frappe.local.lang` to the
chosen language, so `_()` in command code and Frappe's own messages follow it.

Numbers, money and dates use the site's formats (System Settings), whatever the language.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import frappe
from frappe.utils import flt, fmt_money, formatdate, getdate

from whatsapp_chatbot import kept_translations, msgids, texts


def normalise(language: str | None) -> str:
	"""'pt-BR' -> 'pt'; empty -> 'en' (the bot's translations are per base language)."""
	return texts.normalise_language(language)


def table(language: str) -> dict[str, str]:
	"""Frappe's merged translations for a language: the apps' CSV files (and the parent language's,
	for a variant), then the site's Translation records; kept by a worker between jobs."""
	return {} if language == "en" else kept_translations.table(language)


def bot_language(language: str | None) -> str:
	"""The language the bot speaks for someone who reads `language`: it, or English when the site
	lacks a translation of any of the bot's sentences in it."""
	code = normalise(language)
	return msgids.choose(code, table(code), msgids.catalogue())


def missing(language: str) -> list[str]:
	"""The bot's msgids this site has no translation for in `language`."""
	code = normalise(language)
	return [] if code == "en" else msgids.missing(table(code), msgids.catalogue())


def languages_in_use() -> list[str]:
	"""The languages (other than English) the bot answers in here: those of its enabled contacts,
	as the processing job decides them, and the site's and the chatbot's default."""
	from whatsapp_chatbot.channel import contacts
	from whatsapp_chatbot.channel.settings import get_settings

	settings = get_settings()
	rows = frappe.get_all(contacts.CONTACT, filters={"enabled": 1}, fields=["language", "wa_id", "user"])
	codes = {contacts.language_of(row, settings) for row in rows}
	codes |= {normalise(settings.default_language), normalise(frappe.db.get_default("lang"))}
	return sorted(codes - {"en"})


def say(msgid: str, language: str | None = None, **values) -> str:
	"""`msgid` in `language` (default: the turn's, `frappe.local.lang`), placeholders filled."""
	code = bot_language(language or getattr(frappe.local, "lang", None))
	return msgids.say(msgid, code, table(code), values)


@contextmanager
def speaking(language: str | None):
	"""Run a turn (or a long command) in the bot's language for this reader: `_()` anywhere inside,
	and Frappe's own messages, follow it. The previous language comes back afterwards."""
	previous = getattr(frappe.local, "lang", None)
	frappe.local.lang = bot_language(language)
	try:
		yield frappe.local.lang
	finally:
		frappe.local.lang = previous


def number(value, decimals: int | None = None) -> str:
	"""A quantity in the site's number format: with `decimals`, or only the decimals it has (12,
	1.234,5 where the site writes 1.234,56)."""
	value = flt(value)
	if decimals is None:
		decimals = 0 if value == int(value) else min(len(f"{value:.6g}".partition(".")[2]), 6)
	return fmt_money(value, precision=decimals)


def money(value, currency: str | None = None) -> str:
	return fmt_money(flt(value), currency=currency)


def date(value) -> str:
	"""A date in the site's date format (System Settings), "" for none."""
	return formatdate(getdate(value)) if value else ""


def file_name(title: str, extension: str, language: str | None = None) -> str:
	"""A file's name from its title in the reader's language (default: the turn's): "Accounts
	Receivable" in Spanish is cuentas_por_cobrar.xlsx (Frappe's translation of the report's or
	DocType's name)."""
	words = re.sub(r"\W+", "_", frappe._(title, lang=language).lower()).strip("_") or "file"
	return f"{words}.{extension}"
