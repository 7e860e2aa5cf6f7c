"""The bot in the contact's language, through Frappe's translations (issue 17), in the real site.

A Spanish and a Portuguese (pt-BR) contact each go through a slash command, a write with its
preview and Confirm, a long export, a report as a file and an error: everything the bot sends is
in their language, and no English sentence of the bot's own code appears in it (checked against
every msgid the code has). A French contact gets English whole, although Frappe itself has French
for some of the same words. Real workers show the progress of long work in each language, and a
Translation an admin saves changes the very next answer of a running worker.
"""

from __future__ import annotations

import re
import string

import frappe

from whatsapp_chatbot import i18n, msgids, texts
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import say
from whatsapp_chatbot.tests.long_task import define_slow_command
from whatsapp_chatbot.tests.processes import Worker

BR = "5511987650017"  # +55: a Brazilian number
FR = "33612340017"  # +33: French
TODO = "Llamar a Acme (i18n)"
# what each language must say (literally: a reader of the test sees the expected words)
EXPECTED = {
	"es": {
		"stock": "Existencias de *TORN-M8*",
		"todo": f"Nueva tarea: {TODO}",
		"question": "¿Lo hago?",
		"buttons": ["Confirmar", "Cancelar"],
		"created": "Tarea creada (",
		"working": "⏳ Estoy en ello",
		"failed": "No pude hacerlo: ",
		"report_file": "cuentas_por_cobrar.xlsx",
		"export_file": "cliente.xlsx",
		"rows": "filas",
		"progress": "% listo",
	},
	"pt": {
		"stock": "Estoque de *TORN-M8*",
		"todo": f"Nova tarefa: {TODO}",
		"question": "Posso fazer?",
		"buttons": ["Confirmar", "Cancelar"],
		"created": "Tarefa criada (",
		"working": "⏳ Estou cuidando disso",
		"failed": "Não consegui fazer: ",
		"report_file": "contas_a_receber.xlsx",
		"export_file": "cliente.xlsx",
		"rows": "linhas",
		"progress": "% concluído",
	},
}


def english_fragments(language: str) -> dict[str, re.Pattern]:
	"""The English pieces of every msgid of the bot (the words between its placeholders) that its
	translation into `language` does not share: none of them may reach a reader of `language`."""
	table = i18n.table(language)
	found = {}
	for msgid in msgids.catalogue():
		translated = table.get(msgid, "")
		for literal, *_rest in string.Formatter().parse(msgid):
			piece = literal.strip(" *•·()…:.,;“”?!✓⚠⏳📊\n-=/%|'`")
			if len(re.findall(r"[A-Za-z]", piece)) < 4:
				continue
			pattern = re.compile(rf"(?<![\w]){re.escape(piece)}(?![\w])")
			if not pattern.search(translated):
				found[piece] = pattern
	return found


def words_of(sent: dict) -> list[str]:
	"""Everything a person reads of a sent message: text, buttons, captions, file names."""
	kind = sent["type"]
	if kind == "text":
		return [sent["text"]["body"]]
	if kind == "interactive":
		buttons = sent["interactive"].get("action", {}).get("buttons", [])
		return [sent["interactive"]["body"]["text"], *(b["reply"]["title"] for b in buttons)]
	return [sent[kind].get("caption") or "", sent[kind].get("filename") or ""]


class LanguageCase(f.InterpreterTestCase):
	settings = {"long_row_threshold": 1}

	def setUp(self):
		super().setUp()
		self.pt_contact = f.make_contact(BR, user=self.sales, language="pt-BR")
		self.fr_contact = f.make_contact(FR, user=self.sales, language="fr")
		self.numbers = {"es": self.MX, "pt": BR}
		self.contacts = {"es": self.sales_contact.name, "pt": self.pt_contact.name}

	def tearDown(self):
		frappe.db.delete("ToDo", {"description": ("like", "%(i18n)%")})
		for name in frappe.get_all(
			"Translation", {"source_text": texts.english("nothing_pending")}, pluck="name"
		):
			frappe.delete_doc("Translation", name)  # its on_trash drops Frappe's cached translations
		frappe.db.commit()
		super().tearDown()

	def assert_no_english(self, sent: list[dict], language: str):
		fragments = english_fragments(language)
		for message in sent:
			for words in words_of(message):
				leaked = [piece for piece, pattern in fragments.items() if pattern.search(words)]
				self.assertEqual(leaked, [], f"{language}: {words!r}")


class TestLanguagesInProcess(LanguageCase):
	def test_shipped_languages_are_complete_and_french_is_not(self):
		self.assertEqual((i18n.bot_language("es-MX"), i18n.bot_language("pt-BR")), ("es", "pt"))
		self.assertEqual(i18n.missing("es") + i18n.missing("pt"), [])
		# Frappe has French for some of the bot's words, so a per-sentence fallback would mix them
		self.assertEqual(frappe._("Confirm", lang="fr"), "Confirmer")
		self.assertEqual(i18n.bot_language("fr"), "en")

	def test_spanish_and_portuguese_contacts_never_read_english(self):
		for language, expected in EXPECTED.items():
			with self.subTest(language=language):
				sent = self.conversation(language, expected)
				self.assert_no_english(sent, language)

	def conversation(self, language: str, expected: dict) -> list[dict]:
		number = self.numbers[language]
		sent = []

		# a slash command: no model, the answer in the contact's language
		[stock] = self.say("/stock_balance TORN-M8", number)
		self.assertTrue(self.body(stock).startswith(expected["stock"]), self.body(stock))
		sent.append(stock)

		# a write: preview and question with buttons, then the confirmed result
		[preview] = self.say(f'/create_todo description="{TODO}"', number)
		self.assertIn(expected["todo"], self.body(preview))
		self.assertIn(expected["question"], self.body(preview))
		titles = [b["reply"]["title"] for b in preview["interactive"]["action"]["buttons"]]
		self.assertEqual(titles, expected["buttons"])
		[done] = self.press(self.buttons(preview)[0], number, title=titles[0])
		self.assertTrue(self.body(done).startswith(expected["created"]), self.body(done))
		sent += [preview, done]

		# an error: a command on something that does not exist
		[failed] = self.say("/stock_balance NADA-EXISTE-17", number)
		doctype = frappe._("Item", lang=language)
		reason = texts.translate(
			"No {doctype} called “{text}” (or you may not see it).",
			language,
			doctype=doctype,
			text="NADA-EXISTE-17",
		)
		self.assertEqual(self.body(failed), texts.text("command_failed", language, error=reason))
		self.assertTrue(self.body(failed).startswith(expected["failed"]))
		sent.append(failed)

		# a long export: "working on it" now, the file later, named and captioned in the language
		[ack] = self.say("/export_list doctype=Customer", number)
		command = frappe.get_last_doc("Chatbot Command", filters={"command": "export_list"})
		self.assertEqual(self.body(ack), texts.text("working", language, ref=command.name))
		self.assertTrue(self.body(ack).startswith(expected["working"]))
		before = len(self.graph.sent_messages())
		f.run_jobs()
		[document] = self.graph.sent_messages()[before:]
		self.assertEqual(document["document"]["filename"], expected["export_file"])
		self.assertIn(expected["rows"], document["document"]["caption"])
		sent += [ack, document]

		# a report as a file: its name is the report's name in the language
		[report] = self.say('/export_report report="Accounts Receivable"', number)
		self.assertEqual(report["type"], "document", report)
		self.assertEqual(report["document"]["filename"], expected["report_file"])
		sent.append(report)

		# /help: the header and every built-in command's line
		[help_text] = self.say("/help", number)
		self.assertIn(texts.text("help_header", language), self.body(help_text))
		self.assertIn(texts.command_help("stock_balance", "", language), self.body(help_text))
		sent.append(help_text)
		return sent

	def test_a_language_without_translations_is_english_whole(self):
		[preview] = self.say(f'/create_todo description="{TODO}"', FR)
		body = self.body(preview)
		self.assertTrue(body.startswith(f"New ToDo: {TODO}"), body)
		self.assertIn("Shall I go ahead?", body)
		titles = [b["reply"]["title"] for b in preview["interactive"]["action"]["buttons"]]
		self.assertEqual(titles, ["Confirm", "Cancel"])  # not "Confirmer", "Annuler"
		[stock] = self.say("/stock_balance TORN-M8", FR)
		self.assertTrue(self.body(stock).startswith("*TORN-M8* stock: "), self.body(stock))
		# French words look Spanish to the guesser ("la", "de"): the contact stays French all the same
		self.openai.script(say("D'accord."))
		self.say("Bonjour, je voudrais la liste de la semaine", FR)
		self.assertEqual(frappe.db.get_value("Chatbot Contact", self.fr_contact.name, "language"), "fr")


class TestMissingTranslationsReport(LanguageCase):
	def run_report(self, user: str, **filters):
		from frappe.desk.query_report import run

		frappe.set_user(user)
		try:
			return run("Chatbot Missing Translations", filters=filters, ignore_prepared_report=True)
		finally:
			frappe.set_user("Administrator")

	def test_the_desk_lists_what_french_lacks_and_nothing_for_es_and_pt(self):
		manager = f.make_manager()
		output = self.run_report(manager)
		by_language = {}
		for row in output["result"]:
			by_language.setdefault(row["language"], set()).add(row["source_text"])
		self.assertEqual(set(by_language), {"fr"})  # es (the MX contact) and pt are complete
		self.assertEqual(by_language["fr"], set(i18n.missing("fr")))
		self.assertIn(texts.english("confirm_question"), by_language["fr"])
		summary = {s["label"]: s["value"] for s in output["report_summary"]}
		total = len(msgids.catalogue())
		self.assertEqual(summary["pt: translated"], f"{total} / {total}")

		# an admin translates one sentence: it leaves the list
		sentence = texts.english("confirm_question")
		frappe.get_doc(
			{
				"doctype": "Translation",
				"language": "fr",
				"source_text": sentence,
				"translated_text": "Je le fais ? (réf {ref}, valable {minutes} min)",
			}
		).insert()
		frappe.db.commit()
		try:
			rows = self.run_report(manager, language="fr")["result"]
			self.assertNotIn(sentence, {r["source_text"] for r in rows})
			self.assertEqual(len(rows), len(by_language["fr"]) - 1)
		finally:
			for name in frappe.get_all(
				"Translation", {"source_text": sentence, "language": "fr"}, pluck="name"
			):
				frappe.delete_doc("Translation", name)
			frappe.db.commit()

	def test_only_managers_see_it(self):
		with self.assertRaises(frappe.PermissionError):
			self.run_report(self.sales)


class TestLanguagesWithWorkers(LanguageCase):
	"""Real worker processes answer: progress of long work in each language, and a Translation
	saved in the Desk changes the next reply without restarting anything."""

	settings = {"progress_interval_seconds": 1}

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.slow = define_slow_command(cls.addClassCleanup)

	def deliver(self, text: str, number: str) -> None:
		self.post(f.text_webhook(text, wa_id=number))
		frappe.db.commit()  # the job is enqueued after commit; a worker takes it

	def bodies(self, number: str) -> list[str]:
		return [self.body(m) for m in self.graph.sent_messages() if m.get("to") == number]

	def test_progress_of_long_work_in_each_language(self):
		with Worker("short,default", name="worker-i18n-short"), Worker("long", name="worker-i18n-long"):
			for language, number in self.numbers.items():
				with self.subTest(language=language):
					self.deliver(f"/{self.slow} steps=12 seconds=1", number)
					self.graph.wait_for(
						lambda g, n=number: any(
							"Done: 12 steps." in self.body(m) for m in g.sent_messages() if m.get("to") == n
						),
						timeout=200,  # the long queue is bench-wide: other sites' jobs may be ahead
					)
					frappe.db.rollback()
					bodies = self.bodies(number)
					command = frappe.get_last_doc(
						"Chatbot Command", filters={"contact": self.contacts[language]}
					)
					self.assertTrue(bodies[0].startswith(EXPECTED[language]["working"]), bodies)
					steps = [b for b in bodies if EXPECTED[language]["progress"] in b]
					self.assertTrue(steps, bodies)
					self.assertTrue(all(b.startswith(f"⏳ {command.name}: ") for b in steps), steps)
					# all but the result, which is the admin-defined command's own words ("Done: 12 steps.")
					ours = [m for m in self.graph.sent_messages() if m.get("to") == number][:-1]
					self.assertEqual(self.body(ours[-1]), steps[-1])
					self.assert_no_english(ours, language)

	def test_a_translation_saved_in_the_desk_changes_the_next_reply(self):
		with Worker("short,default", name="worker-i18n-translation"):
			self.translation_changes_the_next_reply()

	def test_a_worker_that_keeps_its_process_answers_with_the_saved_translation(self):
		# the no-fork pool's worker keeps the merged table between jobs (kept_translations.py)
		with Worker("short,default", name="worker-i18n-kept", pool=1, no_fork=True):
			self.translation_changes_the_next_reply()
			frappe.delete_doc(
				"Translation",
				frappe.get_all(
					"Translation", {"source_text": texts.english("nothing_pending")}, pluck="name"
				),
			)
			frappe.db.commit()
			self.deliver("/cancel", self.MX)
			f.settled(self.MX, timeout=60)
			self.assertEqual(self.bodies(self.MX)[-1], texts.text("nothing_pending", "es"))

	def translation_changes_the_next_reply(self):
		"""One contact's /cancel, before and after a Translation of its reply is saved."""
		self.deliver("/cancel", self.MX)
		f.settled(self.MX, timeout=60)
		self.assertEqual(self.bodies(self.MX)[-1], texts.text("nothing_pending", "es"))
		frappe.get_doc(
			{
				"doctype": "Translation",
				"language": "es",
				"source_text": texts.english("nothing_pending"),
				"translated_text": "Nada por confirmar, jefe.",
			}
		).insert()
		frappe.db.commit()
		self.deliver("/cancel", self.MX)
		f.settled(self.MX, timeout=60)
		self.assertEqual(self.bodies(self.MX)[-1], "Nada por confirmar, jefe.")
