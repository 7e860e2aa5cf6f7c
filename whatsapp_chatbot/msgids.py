"""The bot's own sentences (msgids) and the rule that picks the language they are said in.

Pure module: no frappe import at module level. A msgid is the English sentence itself, with named
placeholders ("Created {doctype} *{name}*"), found where the code says it: the first argument of
every `_("…")` in the app's Python (outside the Desk module and the tests), and the English source
of texts.py. Translations live where Frappe reads them (`translations/<lang>.csv`, and the
Translation DocType on a site); `choose` is the "never half" rule: a language speaks only when every
msgid has a translation, else the bot speaks English whole.

`_` here is for pure modules (schema validation, argument parsing) whose messages reach the user:
Frappe's translation when a site is connected, the English msgid otherwise.
"""

from __future__ import annotations

import ast
import csv
import functools
import os
import string
from collections.abc import Iterable, Mapping

APP_DIR = os.path.dirname(os.path.abspath(__file__))
TRANSLATIONS_DIR = os.path.join(APP_DIR, "translations")
# Desk-only code (DocType controllers, reports, the Desk's endpoints) and the tests: not the bot's
NOT_THE_BOT = ("whatsapp_chatbot", "tests", "public", "patches")
TRANSLATORS = frozenset({"_", "_lt"})  # the names a msgid is passed to


def _(msgid: str) -> str:
	"""frappe._ in a site (the turn's language), the msgid itself in pure code and tests."""
	try:
		import frappe
	except ImportError:
		return msgid
	return frappe._(msgid) if getattr(frappe.local, "site", None) else msgid


def python_files(root: str = APP_DIR) -> Iterable[str]:
	"""The bot's Python files, as paths relative to the app package."""
	for folder, dirs, files in os.walk(root):
		relative = os.path.relpath(folder, root)
		top = relative.split(os.sep)[0]
		if top in NOT_THE_BOT:
			dirs[:] = []
			continue
		dirs[:] = sorted(d for d in dirs if d != "__pycache__")
		for name in sorted(files):
			if name.endswith(".py"):
				yield os.path.normpath(os.path.join(relative, name))


def is_translation_call(node: ast.AST) -> bool:
	"""`_(…)`, `frappe._(…)` or `msgids._(…)`."""
	if not isinstance(node, ast.Call):
		return False
	func = node.func
	name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
	return name in TRANSLATORS


def calls_in(source: str, path: str) -> Iterable[tuple[ast.Call, str]]:
	"""Every translation call of a file, with where it is ("channel/outbox.py:12")."""
	for node in ast.walk(ast.parse(source, path)):
		if is_translation_call(node):
			yield node, f"{path}:{node.lineno}"


@functools.lru_cache(maxsize=1)
def catalogue(root: str = APP_DIR) -> dict[str, tuple[str, ...]]:
	"""Every msgid of the bot, with the places it is said. Computed from the code once per process
	(the code does not change under a running process)."""
	from whatsapp_chatbot import texts

	found: dict[str, list[str]] = {}
	for path in python_files(root):
		with open(os.path.join(root, path), encoding="utf-8") as f:
			source = f.read()
		for call, where in calls_in(source, path):
			first = call.args[0] if call.args else None
			if isinstance(first, ast.Constant) and isinstance(first.value, str):
				found.setdefault(first.value, []).append(where)
	for key in texts.TEXTS:
		found.setdefault(texts.english(key), []).append(f"texts.py:{key}")
	for name in texts.COMMAND_HELP:
		found.setdefault(texts.english_help(name), []).append(f"texts.py:/help {name}")
	return {msgid: tuple(places) for msgid, places in sorted(found.items())}


def placeholders(text: str) -> set[str]:
	"""The named fields of a msgid or translation: "{ref} at {percent}%" -> {"ref", "percent"}."""
	return {field for _literal, field, _spec, _conv in string.Formatter().parse(text) if field is not None}


def missing(translations: Mapping[str, str], msgids: Iterable[str]) -> list[str]:
	"""The msgids a language has no translation for (an empty translation counts as none)."""
	return [msgid for msgid in msgids if not (translations.get(msgid) or "").strip()]


def choose(language: str, translations: Mapping[str, str], msgids: Iterable[str]) -> str:
	"""The language the bot speaks: `language` when every msgid is translated, else English whole
	(a sentence in French between two in English is worse than English throughout)."""
	if language == "en" or missing(translations, msgids):
		return "en"
	return language


def say(msgid: str, language: str, translations: Mapping[str, str], values: Mapping | None = None) -> str:
	"""`msgid` in `language` (already chosen), its placeholders filled."""
	template = msgid if language == "en" else (translations.get(msgid) or msgid)
	return template.format(**values) if values else template


def read_csv(language: str, folder: str = TRANSLATIONS_DIR) -> dict[str, str]:
	"""The app's translations for a language, read as Frappe reads them (\\n is a new line)."""
	path = os.path.join(folder, f"{language}.csv")
	if not os.path.exists(path):
		return {}
	table = {}
	with open(path, encoding="utf-8", newline="") as f:
		for row in csv.reader(f):
			if len(row) in (2, 3) and not (len(row) == 3 and row[2]):
				table[row[0].replace("\\n", "\n")] = row[1].replace("\\n", "\n").strip()
	return table
