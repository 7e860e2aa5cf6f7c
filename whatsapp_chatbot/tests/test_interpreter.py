"""The interpreter in a real site: permissions as the user, repairs, OpenAI failures, usage and
budget, memory, shortcuts and admin-defined commands."""

import json

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.api.desk import reprocess
from whatsapp_chatbot.tests import definitions
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, fail, say

STOCK = {"item": "TORN-M8", "warehouse": None}


class TestPermissionMatrix(f.InterpreterTestCase):
	def offered(self, user) -> set[str]:
		from whatsapp_chatbot.tools import catalogue

		return {c.name for c in catalogue.for_user(user)}

	def test_tools_follow_the_users_roles(self):
		nobody = f.make_chat_user("chatbot-sin-roles@example.com", (), self.facts.company)
		matrix = {
			# command: (sales, storekeeper, chat user with no ERPNext role)
			"stock_balance": (True, True, False),
			"item_price": (True, False, False),
			"party_balance": (True, False, False),
			"overdue_invoices": (True, False, False),
			"sales_summary": (True, False, False),
			"pending_sales_orders": (True, True, False),  # ERPNext lets Stock User read Sales Orders
			"create_sales_document": (True, False, False),
			"find_documents": (True, True, True),
			"create_todo": (True, True, True),
		}
		offered = {user: self.offered(user) for user in (self.sales, self.storekeeper, nobody)}
		for command, expected in matrix.items():
			with self.subTest(command=command):
				self.assertEqual(
					tuple(command in offered[u] for u in (self.sales, self.storekeeper, nobody)), expected
				)

	def test_what_is_offered_follows_roles_and_shares_at_once(self):
		# remembered between turns (permissions.offered_commands), never past a change
		user = f.make_chat_user("chatbot-offered@example.com", ("Stock User",), self.facts.company)
		offered = self.offered(user)
		self.assertEqual(
			frappe.cache.get_value(f"whatsapp_chatbot:offered:{user}", expires=True)["names"], sorted(offered)
		)
		self.assertNotIn("overdue_invoices", offered)
		doc = frappe.get_doc("User", user)
		doc.add_roles("Accounts User")
		self.assertIn("overdue_invoices", self.offered(user))
		doc.remove_roles("Accounts User")
		self.assertNotIn("overdue_invoices", self.offered(user))
		# an invoice shared with them lets them read Sales Invoices, as Frappe's has_permission says
		invoice = next(iter(self.facts.invoices.values()))
		share = frappe.share.add_docshare(
			"Sales Invoice", invoice, user, read=1, flags={"ignore_share_permission": 1}
		)
		try:
			self.assertTrue(frappe.has_permission("Sales Invoice", "read", user=user))
			self.assertIn("overdue_invoices", self.offered(user))
		finally:
			frappe.delete_doc("DocShare", share.name, ignore_permissions=True)
		self.assertNotIn("overdue_invoices", self.offered(user))

	def test_what_is_offered_follows_permission_rules_at_once(self):
		user = f.make_chat_user("chatbot-offered-rules@example.com", ("Stock User",), self.facts.company)
		self.assertIn("stock_balance", self.offered(user))
		# the Role Permission Manager's change: Stock User may no longer read Bin
		saved = frappe.get_all("Custom DocPerm", filters={"parent": "Bin"}, fields=["*"])
		try:
			frappe.permissions.update_permission_property("Bin", "Stock User", 0, "read", 0)
			self.assertFalse(frappe.has_permission("Bin", "read", user=user))
			self.assertNotIn("stock_balance", self.offered(user))
		finally:
			frappe.db.delete("Custom DocPerm", {"parent": "Bin"})
			for row in saved:
				frappe.get_doc({**row, "doctype": "Custom DocPerm"}).db_insert()
			frappe.clear_cache(doctype="Bin")
		self.assertIn("stock_balance", self.offered(user))

	def test_the_model_is_offered_only_those(self):
		self.openai.script(say("hola"))
		self.say("hola", self.STORE_MX)
		tools = self.tools_offered()
		self.assertIn("stock_balance", tools)
		self.assertNotIn("overdue_invoices", tools)
		self.assertTrue(all(t["function"]["strict"] for t in self.openai.requests[-1]["tools"]))
		self.assertFalse(self.openai.requests[-1]["parallel_tool_calls"])

	def test_generic_read_refused_as_the_user(self):
		self.openai.script(
			call(
				"find_documents",
				{
					"doctype": "Sales Invoice",
					"filters": None,
					"fields": None,
					"order_by": None,
					"limit": None,
				},
			),
			say("Lo siento, no tienes acceso a las facturas."),
		)
		[reply] = self.say("dame las facturas", self.STORE_MX)
		self.assertEqual(self.body(reply), "Lo siento, no tienes acceso a las facturas.")
		tool_result = self.openai.requests[-1]["messages"][-1]["content"]
		self.assertTrue(json.loads(tool_result)["permission_denied"])
		for invoice in self.facts.invoices.values():
			self.assertNotIn(invoice, tool_result)
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.status, command.run_as), ("Failed", self.storekeeper))

	def test_a_tool_the_user_is_not_offered_cannot_be_called(self):
		self.openai.script(
			call("overdue_invoices", {"customer": None, "limit": None}),
			call("overdue_invoices", {"customer": None, "limit": None}),
		)
		[reply] = self.say("facturas vencidas", self.STORE_MX)
		self.assertEqual(self.body(reply), texts.text("not_understood", "es"))
		self.assertFalse(frappe.db.exists("Chatbot Command", {"command": "overdue_invoices"}))


class TestRepairsAndFailures(f.InterpreterTestCase):
	def test_invalid_arguments_get_one_repair(self):
		self.openai.script(
			call("stock_balance", {"itm": "TORN-M8"}), call("stock_balance", STOCK), say("Quedan 150.")
		)
		[reply] = self.say("stock de TORN-M8")
		self.assertEqual(self.body(reply), "Quedan 150.")
		repair = self.openai.requests[1]["messages"][-1]
		self.assertEqual(repair["role"], "tool")
		# in the user's language (the model answers in it anyway)
		self.assertIn("itm no es un parámetro conocido", frappe.parse_json(repair["content"])["error"])
		self.assertEqual(
			frappe.db.count("Chatbot Command", {"command": "stock_balance", "status": "Succeeded"}), 1
		)

	def test_broken_json_twice_ends_politely(self):
		self.openai.script(call("stock_balance", "{not json"), call("stock_balance", '{"item": 5}'))
		[reply] = self.say("stock?", self.US)
		self.assertEqual(self.body(reply), texts.text("not_understood", "en"))
		self.assertFalse(frappe.db.exists("Chatbot Command", {"command": "stock_balance"}))

	def test_step_limit(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "max_tool_steps", 2)
		frappe.db.commit()
		self.openai.script(*[call("stock_balance", STOCK) for _ in range(5)])
		[reply] = self.say("stock?")
		self.assertEqual(self.body(reply), texts.text("not_understood", "es"))
		self.assertEqual(len(self.openai.requests), 2)

	def test_openai_errors_end_in_an_apology_and_a_rerunnable_message(self):
		# the SDK retries a timeout twice: three slow answers make one timeout for the user
		slow = [say("tarde", delay=2)] * 3
		for steps, timeout in (([fail(500)], 5), ([fail(429)], 5), ([fail(503)], 5), (slow, 1)):
			with self.subTest(status=steps[0].status, timeout=timeout):
				frappe.db.set_single_value("WhatsApp Chatbot Settings", "openai_timeout", timeout)
				frappe.db.commit()
				self.openai.reset()
				self.openai.script(*steps)
				[reply] = self.say("¿stock de TORN-M8?")
				self.assertEqual(self.body(reply), texts.text("assistant_unavailable", "es"))
				incoming = f.rows("Incoming")[-1]
				self.assertEqual(incoming.status, "Failed")
				self.assertIn("OpenAI", incoming.error_message)
		# the team runs it again once OpenAI is back
		self.openai.reset()
		self.openai.script(say("Quedan 150."))
		frappe.set_user(f.make_manager())
		reprocess(incoming.name)
		frappe.set_user("Administrator")
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(self.body(self.graph.sent_messages()[-1]), "Quedan 150.")

	def test_answers_are_made_fit_for_whatsapp(self):
		self.openai.script(
			say(
				"## Stock\n\n| Almacén | Cantidad |\n|---|---|\n| Stores | 120 |\n| Tienda | 30 |\n\n**Total**: 150"
			)
		)
		[reply] = self.say("stock")
		self.assertEqual(self.body(reply), "*Stock*\n\n• Stores · 120\n• Tienda · 30\n\n*Total*: 150")

	def test_long_answers_are_split(self):
		self.openai.script(say("\n".join(f"Línea {i}: " + "x" * 80 for i in range(120))))
		sent = self.say("todo")
		self.assertGreater(len(sent), 1)
		self.assertTrue(all(len(self.body(s)) <= 4096 for s in sent))


class TestUsageBudgetMemory(f.InterpreterTestCase):
	settings = {
		"model_prices": [
			{
				"model": "gpt-4.1-mini",
				"input_per_million": 0.4,
				"cached_input_per_million": 0.1,
				"output_per_million": 1.6,
			}
		]
	}

	def test_usage_on_message_command_and_conversation(self):
		self.openai.cached_tokens = 100
		self.addCleanup(setattr, self.openai, "cached_tokens", 0)
		self.openai.script(call("stock_balance", STOCK), say("Quedan 150."))
		self.say("stock de TORN-M8")
		incoming = f.rows("Incoming")[-1]
		self.assertGreater(incoming.prompt_tokens, 0)
		self.assertEqual(incoming.cached_tokens, 200)  # two calls, 100 cached each
		expected_cost = (
			(incoming.prompt_tokens - 200) * 0.4 + 200 * 0.1 + incoming.completion_tokens * 1.6
		) / 1e6
		self.assertAlmostEqual(incoming.cost, expected_cost, places=6)  # stored with 6 decimals
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(
			(command.prompt_tokens, command.completion_tokens),
			(incoming.prompt_tokens, incoming.completion_tokens),
		)
		conversation = frappe.get_doc("Chatbot Conversation", incoming.conversation)
		self.assertEqual(
			(conversation.prompt_tokens, conversation.command_count), (incoming.prompt_tokens, 1)
		)
		self.openai.script(say("De nada."))
		self.say("gracias")
		conversation.reload()
		self.assertEqual(conversation.prompt_tokens, sum(r.prompt_tokens for r in f.rows("Incoming")))

	def test_daily_budget(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "daily_token_budget", 50)
		frappe.db.commit()
		self.openai.script(say("Hola, ¿en qué te ayudo?"))
		self.say("hola")
		[blocked] = self.say("¿y el stock?")
		self.assertEqual(self.body(blocked), texts.text("budget_exceeded", "es"))
		self.assertEqual(len(self.openai.requests), 1)
		[slash] = self.say("/stock_balance TORN-M8")  # shortcuts spend no tokens and still work
		self.assertIn("150", self.body(slash))

	def test_history_with_commands_in_short_form(self):
		self.openai.script(call("stock_balance", STOCK), say("Quedan 150 en total."))
		self.say("¿stock de TORN-M8?")
		self.openai.script(say("En Tienda Centro hay 30."))
		self.say("¿y en la tienda?")
		messages = self.openai.requests[-1]["messages"]
		self.assertEqual(messages[0]["role"], "system")
		self.assertIn("WhatsApp", messages[0]["content"])
		self.assertEqual([m["role"] for m in messages[2:]], ["user", "assistant", "user"])
		self.assertEqual(messages[2]["content"], "¿stock de TORN-M8?")
		self.assertIn("[stock_balance(item=TORN-M8) Succeeded:", messages[3]["content"])
		self.assertIn("Quedan 150 en total.", messages[3]["content"])
		# the instructions are byte-identical between turns: OpenAI's prompt cache can reuse them
		self.assertEqual(self.openai.requests[0]["messages"][0], messages[0])
		self.assertEqual(self.openai.requests[0]["tools"], self.openai.requests[-1]["tools"])


class TestShortcuts(f.InterpreterTestCase):
	def test_help_whoami_and_commands_without_the_model(self):
		[help_] = self.say("/help", self.STORE_MX)
		self.assertIn("/stock_balance", self.body(help_))
		self.assertNotIn("/overdue_invoices", self.body(help_))
		[who] = self.say("/whoami")
		self.assertIn(self.sales, self.body(who))
		self.assertIn("Sales User", self.body(who))
		[stock] = self.say('/stock_balance TORN-M8 warehouse="Tienda Centro"')
		self.assertIn("30", self.body(stock))
		[unknown] = self.say("/bogus")
		self.assertEqual(self.body(unknown), texts.text("unknown_command", "es", name="bogus"))
		[refused] = self.say("/overdue_invoices", self.STORE_MX)
		self.assertEqual(self.body(refused), texts.text("unknown_command", "es", name="overdue_invoices"))
		self.assertEqual(self.openai.requests, [])

	def test_writes_by_shortcut_still_ask_and_cancel_works(self):
		[question] = self.say('/create_todo {"description": "Revisar inventario"}')
		self.assertEqual(question["type"], "interactive")
		[cancelled] = self.say("/cancel")
		self.assertIn("Cancelado", self.body(cancelled))
		self.assertFalse(frappe.db.exists("ToDo", {"description": ("like", "%Revisar inventario%")}))
		[nothing] = self.say("/cancel")
		self.assertEqual(self.body(nothing), texts.text("nothing_pending", "es"))


class TestAdminDefinedCommands(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		# named for this run, removed however the test ends: the site's own definitions stay
		self.count = definitions.define(
			self.addCleanup,
			{
				"command_name": definitions.unique("contar_registros"),
				"description": "Count records of a DocType the user may read",
				"handler_type": "Whitelisted Method",
				"method": "frappe.client.get_count",
				"needs_confirmation": 0,
				"parameters": [
					{"parameter_name": "doctype", "type": "string", "required": 1, "description": "DocType"}
				],
				"roles": [{"role": "Sales User"}],
			},
		)

	def test_definition_becomes_a_tool_for_its_roles(self):
		self.openai.script(call(self.count, {"doctype": "Customer"}), say("ok"))
		self.say("¿cuántos clientes hay?")
		self.assertIn(self.count, self.tools_offered(0))
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.command, command.status), (self.count, "Succeeded"))
		self.assertEqual(int(command.result), frappe.db.count("Customer"))
		self.openai.script(say("ok"))
		self.say("hola", self.STORE_MX)
		self.assertNotIn(self.count, self.tools_offered())

	def test_report_and_server_script_handlers(self):
		receivable_command = definitions.define(
			self.addCleanup,
			{
				"command_name": definitions.unique("cuentas_por_cobrar"),
				"description": "Accounts receivable as of a date",
				"handler_type": "Report",
				"report": "Accounts Receivable",
				"needs_confirmation": 0,
				"parameters": [
					{"parameter_name": "report_date", "type": "date", "required": 1, "description": "as of"}
				],
			},
		)
		script = frappe.get_doc(
			{
				"doctype": "Server Script",
				"name": "chatbot-test-saludo",
				"script_type": "API",
				"api_method": "chatbot_test_saludo",
				"script": 'frappe.response["message"] = "Hola " + frappe.form_dict.nombre + ", soy " + frappe.session.user',
			}
		)
		script.insert(ignore_if_duplicate=True)
		self.addCleanup(
			lambda: (frappe.delete_doc("Server Script", script.name, force=True), frappe.db.commit())
		)
		greeting_command = definitions.define(
			self.addCleanup,
			{
				"command_name": definitions.unique("saludo"),
				"description": "Greets",
				"handler_type": "Server Script",
				"server_script": script.name,
				"needs_confirmation": 0,
				"parameters": [
					{"parameter_name": "nombre", "type": "string", "required": 1, "description": "name"}
				],
			},
		)
		[receivable] = self.say(f"/{receivable_command} {self.facts.anchor}")
		self.assertIn(frappe._("Accounts Receivable", lang="es"), self.body(receivable))  # its Spanish name
		self.assertIn("Acme Corp", self.body(receivable))
		[greeting] = self.say(f"/{greeting_command} Ana")
		from frappe.utils.safe_exec import is_safe_exec_enabled

		if is_safe_exec_enabled():
			self.assertEqual(self.body(greeting), f"Hola Ana, soy {self.sales}")  # ran as the contact's user
		else:
			# server scripts are off on this bench (common_site_config server_script_enabled):
			# the user is told politely, nothing runs
			self.assertEqual(self.body(greeting), texts.text("not_permitted", "es"))

	def test_definitions_are_validated(self):
		for values, message in (
			({"command_name": "Bad Name"}, "lowercase"),
			({"command_name": "stock_balance"}, "built-in"),
			({"command_name": "x_method", "method": "frappe.get_doc"}, "not whitelisted"),
		):
			with self.subTest(values=values), self.assertRaisesRegex(frappe.ValidationError, message):
				frappe.get_doc(
					{
						"doctype": "Chatbot Command Definition",
						"description": "d",
						"handler_type": "Whitelisted Method",
						"method": "frappe.client.get_count",
						**values,
					}
				).insert()


class TestRunAsUserCache(f.ChatbotTestCase):
	def test_switching_user_keeps_metas_and_translations_and_forgets_the_rest(self):
		from frappe.translate import MERGED_TRANSLATION_KEY, get_all_translations

		from whatsapp_chatbot.session_user import MERGED_TRANSLATIONS, as_user

		self.assertEqual(MERGED_TRANSLATIONS, MERGED_TRANSLATION_KEY)  # the key Frappe uses
		user = f.make_chat_user("chatbot-switch@example.com", ("Stock User",))
		metas = frappe.cache.make_key("doctype_meta")
		roles = frappe.cache.make_key("roles")
		frappe.get_meta("Item")
		get_all_translations("es")
		frappe.get_roles("Administrator")  # who the user is: forgotten on a switch, as set_user does
		with as_user(user):
			self.assertEqual(frappe.session.user, user)
			self.assertIn("Item", frappe.local.cache[metas])
			self.assertIn("es", frappe.local.cache[frappe.cache.make_key(MERGED_TRANSLATION_KEY)])
			self.assertNotIn(roles, frappe.local.cache)
			frappe.get_meta("Bin")
			frappe.get_roles(user)
		self.assertEqual(frappe.session.user, "Administrator")
		self.assertTrue({"Item", "Bin"} <= set(frappe.local.cache[metas]))
		self.assertNotIn(roles, frappe.local.cache)
