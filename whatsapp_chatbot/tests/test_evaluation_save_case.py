"""Save as Case from a real Chatbot Command (the pipeline made it), for managers only, and the case
it makes evaluated; the tools a set of roles is offered are the tools a User with those roles is."""

from __future__ import annotations

import json

import frappe

from whatsapp_chatbot.api import evaluation as api
from whatsapp_chatbot.evaluation import cases as case_store
from whatsapp_chatbot.evaluation import runner
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.evaluation_cases import CASE, RUN, remove
from whatsapp_chatbot.tests.evaluation_stand_in import Oracle
from whatsapp_chatbot.tests.fake_openai import call, from_request, say
from whatsapp_chatbot.tools import catalogue


class TestSaveAsCase(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		self.tag = f"evaltest-{frappe.generate_hash(length=6)}"
		self.addCleanup(remove, self.tag)

	def test_a_real_exchange_becomes_a_case_the_manager_corrects(self):
		self.openai.script(say("¡Hola! ¿En qué te ayudo?"))
		self.say("hola")
		self.openai.script(call("stock_balance", {"item": "TORN-M6", "warehouse": None}), say("No hay."))
		self.say("cuanto stock ay del torn m8")
		command = frappe.get_last_doc("Chatbot Command", filters={"command": "stock_balance"})
		manager = f.make_manager(f"chatbot-eval-manager-{self.tag}@example.com")
		self.addCleanup(frappe.delete_doc, "User", manager, force=True, ignore_permissions=True)

		frappe.set_user(self.sales)  # a chat user is no manager
		with self.assertRaises(frappe.PermissionError):
			api.case_from_command(command.name)
		with self.assertRaises(frappe.PermissionError):
			api.save_case(command.name, json.dumps({"case_id": f"{self.tag}-x"}))

		frappe.set_user(manager)
		proposal = api.case_from_command(command.name)
		self.assertEqual(
			proposal["messages"],
			[
				{"role": "user", "content": "hola"},
				{"role": "assistant", "content": "¡Hola! ¿En qué te ayudo?"},
				{"role": "user", "content": "cuanto stock ay del torn m8"},
			],
		)
		self.assertEqual(
			(proposal["expect"], proposal["expected_command"], json.loads(proposal["expected_arguments"])),
			("Command", "stock_balance", {"item": "TORN-M6"}),  # what the bot chose, nulls left out
		)
		self.assertEqual((proposal["run_as"], proposal["language"]), (self.sales, "es"))
		self.assertEqual(
			proposal["today"],
			str(frappe.utils.getdate(frappe.db.get_value("Chatbot Message", command.message, "creation"))),
		)

		corrected = {
			**proposal,
			"case_id": f"{self.tag}-saved",
			"tags": self.tag,
			"expected_arguments": json.dumps({"item": "TORN-M8"}),  # the bot got the item wrong
		}
		name = api.save_case(command.name, json.dumps(corrected))
		case = frappe.get_doc(CASE, name)
		self.assertEqual((case.source_command, case.run_as, case.owner), (command.name, self.sales, manager))
		self.assertEqual([m.content for m in case.messages][-1], "cuanto stock ay del torn m8")
		self.assertFalse(case.starter_hash)

		# the case evaluates: the tools of its User, the corrected arguments judged
		frappe.set_user("Administrator")
		frappe.db.commit()
		self.openai.reset()
		self.openai.script(call("stock_balance", {"item": "TORN-M6", "warehouse": None}))
		run = runner.create(None, name, 1)
		frappe.db.commit()
		runner.execute(run.name)
		run = frappe.get_doc(RUN, run.name)
		self.assertEqual((run.passed, run.command_rate, run.arguments_rate), (0, 100, 0))
		offered = [t["function"]["name"] for t in self.openai.requests[0]["tools"]]
		self.assertEqual(offered, [c.name for c in catalogue.for_user(self.sales, self.sales_contact.name)])
		self.openai.default = from_request(Oracle(case_store.select(name)).perfect)
		again = runner.create(None, name, 1)
		frappe.db.commit()
		runner.execute(again.name)
		self.assertEqual(frappe.db.get_value(RUN, again.name, ["passed", "better"]), (1, 1))

	def test_a_set_of_roles_is_offered_what_a_user_with_those_roles_is(self):
		nobody = f.make_chat_user(f"chatbot-eval-nobody-{self.tag}@example.com")
		self.addCleanup(frappe.delete_doc, "User", nobody, force=True, ignore_permissions=True)
		for user in (self.sales, self.storekeeper, nobody):
			with self.subTest(user=user):
				roles = frappe.get_roles(user)
				self.assertEqual(
					[c.name for c in catalogue.for_roles(roles)], [c.name for c in catalogue.for_user(user)]
				)
		self.assertNotEqual(
			[c.name for c in catalogue.for_roles(["Stock User"])],
			[c.name for c in catalogue.for_roles(["Sales User", "Accounts User"])],
		)
