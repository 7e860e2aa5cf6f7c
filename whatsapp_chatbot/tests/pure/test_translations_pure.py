"""Every sentence the bot says by itself goes through the translation function, and every one of
them is translated into the languages the app ships (es, pt), placeholders intact.

The scan reads the bot's code (not the Desk module, not the tests): whatever reaches a user-facing
sink — outgoing.text/buttons, outbox.queue_text/queue_document, CommandError and the other errors
shown to users, a Result's text, a write's preview, the lines a reply is built from — may hold
placeholders and punctuation, but no English words outside `_()` / texts.text.
"""

from __future__ import annotations

import ast
import os
import re

import pytest

from whatsapp_chatbot import msgids, texts

SHIPPED = ("es", "pt")
# calls whose output is translated (or is data): a literal inside them is not an English leak
TRANSLATED_BY = {"_", "_lt", "text", "translate", "command_help", "say", "file_name"}
ERRORS_USERS_READ = {"CommandError", "ArgumentError", "UnsafeQuery"}
LINE_LISTS = {"lines", "report", "notes", "sentences_for_user"}
WORD = re.compile(r"[A-Za-z]{2,}")
# placeholders, file extensions, units, command names (/status) are the same in every language
NOT_WORDS = re.compile(r"\{[^}]*\}|\.(xlsx|pdf|png|csv)\b|\b(MB|KB|ref)\b|/\w+")
# files whose words no WhatsApp user reads
NOT_FOR_USERS = {
	"interpreter/prompt.py": "the model's instructions (it answers in the user's language)",
	"interpreter/media_input.py": "what the model is told about a file",
	"channel/terminal.py": "the developer's terminal around the bot's replies",
	"executors/connection_check.py": "the Desk's technical trace of a connection test",
}


def _name(func: ast.AST) -> str:
	return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _owner(func: ast.AST) -> str:
	return func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""


def literals(node: ast.AST):
	"""The string literals an expression puts into its value (not those inside translated or data
	calls: their output is translated, or is the data itself)."""
	if isinstance(node, ast.Constant) and isinstance(node.value, str):
		yield node
	elif isinstance(node, ast.JoinedStr):
		for part in node.values:
			yield from literals(part.value if isinstance(part, ast.FormattedValue) else part)
	elif isinstance(node, ast.Call):
		name = _name(node.func)
		if name in TRANSLATED_BY:
			return
		if name in ("format", "join") and isinstance(node.func, ast.Attribute):
			yield from literals(node.func.value)  # "… {x}".format(…): the template is a literal
			for arg in [*node.args, *(k.value for k in node.keywords)]:
				yield from literals(arg)
	elif isinstance(node, ast.BinOp):
		yield from literals(node.left)
		yield from literals(node.right)
	elif isinstance(node, ast.IfExp):
		yield from literals(node.body)
		yield from literals(node.orelse)
	elif isinstance(node, ast.BoolOp):
		for value in node.values:
			yield from literals(value)
	elif isinstance(node, (ast.List, ast.Tuple)):
		for element in node.elts:
			yield from literals(element)
	elif isinstance(node, (ast.GeneratorExp, ast.ListComp)):
		yield from literals(node.elt)
	elif isinstance(node, ast.Starred):
		yield from literals(node.value)


def speaks_english(text: str) -> bool:
	return bool(WORD.search(NOT_WORDS.sub(" ", text)))


def user_facing(tree: ast.Module):
	"""(expression, what it is) for everything in a module that becomes words a user reads."""
	previews = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.Call):
			name, owner = _name(node.func), _owner(node.func)
			if owner == "outgoing" and name in ("text", "buttons", "list_message") and node.args:
				yield node.args[0], f"outgoing.{name}"
			elif owner == "outbox" and name == "queue_text" and len(node.args) > 1:
				yield node.args[1], "outbox.queue_text"
			elif owner == "outbox" and name == "queue_document":
				yield from ((arg, "outbox.queue_document") for arg in node.args[1:2] + node.args[4:5])
			elif name in ERRORS_USERS_READ and node.args:
				yield node.args[0], name
			elif name == "Result":
				yield from ((arg, "Result") for arg in node.args[:1])
				yield from ((k.value, "Result") for k in node.keywords if k.arg == "text")
			elif name == "Outcome" and not any(k.arg == "refused" for k in node.keywords):
				# a refused outcome reaches the user as texts "not_permitted"; its error is the model's
				yield from ((k.value, "Outcome.error") for k in node.keywords if k.arg == "error")
			elif name == "append" and _owner(node.func) in LINE_LISTS and node.args:
				yield node.args[0], f"{_owner(node.func)}.append"
			for keyword in node.keywords:
				if keyword.arg == "preview":
					if isinstance(keyword.value, ast.Lambda):
						yield keyword.value.body, "preview"
					elif isinstance(keyword.value, ast.Name):
						previews.add(keyword.value.id)
		elif isinstance(node, (ast.Assign, ast.AugAssign)):
			targets = node.targets if isinstance(node, ast.Assign) else [node.target]
			if any(isinstance(t, ast.Name) and t.id in LINE_LISTS for t in targets):
				yield node.value, "lines"
	for node in ast.walk(tree):
		if isinstance(node, ast.FunctionDef) and node.name in previews:
			for inner in ast.walk(node):
				if isinstance(inner, ast.Return) and inner.value is not None:
					yield inner.value, "preview"


def leaks(root: str = msgids.APP_DIR) -> list[str]:
	found = []
	for path in msgids.python_files(root):
		if path in NOT_FOR_USERS:
			continue
		with open(os.path.join(root, path), encoding="utf-8") as f:
			tree = ast.parse(f.read(), path)
		for expression, sink in user_facing(tree):
			for literal in literals(expression):
				if speaks_english(literal.value):
					found.append(f"{path}:{literal.lineno} {sink}: {literal.value!r}")
	return found


def translation_calls(root: str = msgids.APP_DIR) -> list[str]:
	"""`_()` given something that is no msgid: an f-string or a concatenation (Frappe would look up
	the sentence with the values already in it, and find nothing)."""
	bad = []
	for path in msgids.python_files(root):
		with open(os.path.join(root, path), encoding="utf-8") as f:
			source = f.read()
		for call, where in msgids.calls_in(source, path):
			first = call.args[0] if call.args else None
			if isinstance(first, (ast.JoinedStr, ast.BinOp)):
				bad.append(where)
	return bad


def test_no_english_literal_reaches_a_user():
	assert leaks() == []


def test_translation_calls_take_a_whole_sentence():
	assert translation_calls() == []


def test_the_catalogue_finds_sentences_from_code_and_texts():
	catalogue = msgids.catalogue()
	assert "Created {doctype} *{name}* (draft): {amount}" in catalogue  # tools/writes.py
	assert texts.english("cancelled") in catalogue  # texts.py
	assert texts.english_help("stock_balance") in catalogue  # /help
	assert all(msgid == msgid.strip() and msgid for msgid in catalogue)  # frappe._ strips its msgid
	# texts.py is the English source only: its translations live where an admin can change them
	assert all(isinstance(v, str) for v in [*texts.TEXTS.values(), *texts.COMMAND_HELP.values()])


@pytest.mark.parametrize("language", SHIPPED)
def test_every_msgid_is_translated_with_the_same_placeholders(language):
	table = msgids.read_csv(language)
	catalogue = msgids.catalogue()
	assert msgids.missing(table, catalogue) == []
	changed = {m: table[m] for m in catalogue if msgids.placeholders(m) != msgids.placeholders(table[m])}
	assert changed == {}


@pytest.mark.parametrize("language", SHIPPED)
def test_every_translation_formats(language):
	table = msgids.read_csv(language)
	for msgid in msgids.catalogue():
		names = msgids.placeholders(msgid)
		positional = ["x"] * (1 + max((int(n) for n in names if n.isdigit()), default=-1))
		assert table[msgid].format(*positional, **{n: "x" for n in names if not n.isdigit()})


def test_a_language_missing_one_sentence_is_english_whole():
	catalogue = msgids.catalogue()
	table = dict(msgids.read_csv("pt"))
	assert msgids.choose("pt", table, catalogue) == "pt"
	del table[texts.english("cancelled")]
	assert msgids.choose("pt", table, catalogue) == "en"
	# and a language with only a few sentences (Frappe's own French has "Confirm", "Cancel"…)
	assert msgids.choose("fr", {"Confirm": "Confirmer", "Cancel": "Annuler"}, catalogue) == "en"


def test_portuguese_is_guessed_and_kept():
	from whatsapp_chatbot.interpreter.language import guess

	assert texts.guess_language("5511987654321") == "pt"  # a Brazilian number
	assert texts.normalise_language("pt_BR") == "pt"
	assert guess("olá, quero ver as faturas vencidas") == guess("não entendi")
	assert guess("olá, quero ver as faturas vencidas").language == "pt"
	assert guess("hola, quiero ver las facturas vencidas").language == "es"


def test_texts_speak_the_shipped_languages_and_english_for_the_rest():
	assert texts.text("cancelled", "es", ref="R-1") == "Cancelado (R-1). No se cambió nada."
	assert texts.text("cancelled", "pt-BR", ref="R-1") == "Cancelado (R-1). Nada foi alterado."
	assert texts.text("cancelled", "fr", ref="R-1") == "Cancelled (R-1). Nothing was changed."
	assert texts.text("confirm_button", "es-MX") == "Confirmar"
	assert texts.command_help("stock_balance", "", "pt") == "Estoque de um item por armazém"


@pytest.mark.parametrize(
	"source, leak",
	[
		('outgoing.text(f"*{item}* stock: {qty}")', True),
		('raise CommandError("No default company is set for your user.")', True),
		('Result(f"{meta.name}: {count}")', False),
		('outgoing.text(_("No overdue invoices."))', False),
		('outgoing.text(_("Created {doctype}").format(doctype=_(d)))', False),
		('outgoing.text("• {w}: {q}".format(w=w, q=q))', False),
		('outgoing.text("• {w}: {q} reserved".format(w=w, q=q))', True),
		('command("x", "d", preview=lambda a: f"New ToDo: {a}")', True),
		('lines.append(f"Taxes: {money(t)}")', True),
	],
)
def test_the_scan_tells_a_leak(source, leak):
	found = [lit for expression, _sink in user_facing(ast.parse(source)) for lit in literals(expression)]
	assert any(speaks_english(lit.value) for lit in found) == leak
