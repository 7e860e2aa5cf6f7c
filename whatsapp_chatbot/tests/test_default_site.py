"""A contact's default remote site serves the commands that can run there, and only those (issue 16):
a local-only command (`Command.remote` false: sales summary, charts, ToDos, media, bills) still runs
here for a contact whose default is a remote site, through the real pipeline (a /command from the
webhook); a remote-capable one still goes to the default site (remote.localhost under gunicorn)."""

from __future__ import annotations

import json

import frappe

from whatsapp_chatbot import i18n
from whatsapp_chatbot.executors import local
from whatsapp_chatbot.tests import remote_fixture as rf
from whatsapp_chatbot.tools import catalogue

setUpModule = rf.start_remote
tearDownModule = rf.stop_remote


class TestDefaultRemoteSite(rf.RemoteTestCase):
	def setUp(self):
		super().setUp()
		frappe.db.set_value("Chatbot Remote Access", {"contact": self.sales_contact.name}, "is_default", 1)
		frappe.db.commit()

	def last_command(self):
		return frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})

	def test_a_local_only_command_runs_here(self):
		[reply] = self.say("/sales_summary")
		summary = catalogue.find("sales_summary", self.sales)
		with i18n.speaking("es"):  # this site's answer, as that user, in the contact's language
			here = local.execute(summary, {}, self.sales)
		self.assertTrue(here.ok, here.error)
		self.assertEqual(self.body(reply), here.result.text)
		command = self.last_command()
		self.assertEqual(
			(command.command, command.status, command.remote_site), ("sales_summary", "Succeeded", None)
		)

	def test_a_remote_capable_command_still_goes_to_the_default_site(self):
		customer = self.seeded["customer"]  # only the remote has it
		self.assertFalse(frappe.db.exists("Customer", customer))
		[reply] = self.say("/get_document " + json.dumps({"doctype": "Customer", "name": customer}))
		self.assertTrue(self.body(reply).startswith("*norte* · "), self.body(reply))
		self.assertIn(customer, self.body(reply))
		command = self.last_command()
		self.assertEqual(
			(command.command, command.status, command.remote_site), ("get_document", "Succeeded", "norte")
		)
