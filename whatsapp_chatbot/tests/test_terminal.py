"""The terminal chat: same pipeline, no Meta; and the real bench command with piped input."""

import frappe

from whatsapp_chatbot.channel.terminal import TerminalChat
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, say
from whatsapp_chatbot.tests.processes import bench_command


class TestTerminalChat(f.InterpreterTestCase):
	def test_conversation_with_a_confirmation(self):
		chat = TerminalChat(self.MX)
		self.assertIn(self.sales, chat.greeting())
		self.openai.script(
			call("stock_balance", {"item": "TORN-M8", "warehouse": None}), say("Quedan 150 de TORN-M8.")
		)
		self.assertEqual(chat.send("¿cuánto stock queda del ítem TORN-M8?"), ["Quedan 150 de TORN-M8."])
		self.openai.script(call("create_todo", {"description": "Pedir tornillos", "date": None}))
		lines = chat.send("recuérdame pedir tornillos")
		self.assertEqual(lines[-2:], ["  1) Confirmar", "  2) Cancelar"])
		[done] = chat.send("1")
		todo = frappe.db.get_value(  # the newest: earlier runs may have left theirs
			"ToDo",
			{"description": ("like", "%Pedir tornillos%"), "allocated_to": self.sales},
			order_by="creation desc",
		)
		self.assertTrue(todo)
		self.assertEqual(done, f"Tarea creada ({todo}).")  # in Spanish, as the contact writes
		self.assertEqual(self.graph.requests, [])  # nothing went to Meta
		self.assertEqual({r.channel for r in f.rows()}, {"Terminal"})
		self.assertEqual({r.status for r in f.rows("Outgoing")}, {"Sent"})

	def test_without_openai_the_slash_commands_work(self):
		f.make_settings(self.graph.base_url, openai_api_key="")
		chat = TerminalChat(self.MX)
		self.assertIn("150", chat.send("/stock_balance TORN-M8")[0])
		self.assertIn("OpenAI", chat.send("¿stock?")[0])

	def test_unknown_number_is_refused(self):
		chat = TerminalChat("5219990001111")
		self.assertIn("not linked", chat.greeting())
		self.assertEqual(chat.send("hola"), ["(ignored: unknown, disabled or unauthorised contact)"])

	def test_the_bench_command(self):
		result = bench_command(
			frappe.local.site,
			"whatsapp-chatbot",
			"chat",
			"--as",
			f"+{self.MX}",
			input="/whoami\n/stock_balance TORN-M8\n/quit\n",
		)
		self.assertEqual(result.returncode, 0, result.stderr[-2000:])
		self.assertIn(self.sales, result.stdout)
		self.assertIn("150", result.stdout)
