"""Remote sites, direct mode, against the bench's real second site (remote.localhost) served by
gunicorn: commands run there as a remote user with limited roles (the remote's permissions apply),
the `site` parameter per contact, who may use which site, and every remote failure in plain words.

Long work started on the remote and followed over Socket.IO (and over REST when the socket is
blocked) is in test_remote_long.py; the SSH tunnel variants are in the tunnel tests."""

from __future__ import annotations

import io
import json
import time
from http.server import BaseHTTPRequestHandler

import frappe
from openpyxl import load_workbook

from whatsapp_chatbot import texts
from whatsapp_chatbot.executors import remote, tunnels
from whatsapp_chatbot.executors.remote import RemoteExecutor
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests import remote_fixture as rf
from whatsapp_chatbot.tests.fake_openai import call, say
from whatsapp_chatbot.tests.local_server import LocalServer
from whatsapp_chatbot.tests.processes import free_port
from whatsapp_chatbot.tests.remote_fixture import grant, make_remote_site
from whatsapp_chatbot.tests.remote_users import skip_unless_remote
from whatsapp_chatbot.tests.sshd import SSHServer
from whatsapp_chatbot.tools import catalogue
from whatsapp_chatbot.tools.registry import REGISTRY, SITE

setUpModule = rf.start_remote
tearDownModule = rf.stop_remote


class RemoteTestCase(rf.RemoteTestCase):
	def executor(self, contact=None, site="norte", language="es") -> RemoteExecutor:
		return RemoteExecutor(site, contact or self.sales_contact.name, language)

	def run_remote(self, command: str, arguments: dict, contact=None, language="es"):
		definition = catalogue.find(command, self.sales)
		checked, errors = definition.check(arguments)
		self.assertEqual(errors, [])
		return self.executor(contact, language=language).execute(definition, checked, self.sales)


class TestRemoteCommands(RemoteTestCase):
	def test_find_runs_on_the_remote_as_the_remote_user(self):
		customer = self.seeded["customer"]
		outcome = self.run_remote(
			"find_documents", {"doctype": "Customer", "filters": [f"customer_name = {customer}"]}
		)
		self.assertTrue(outcome.ok, outcome.error)
		self.assertEqual([row["name"] for row in outcome.result.data["rows"]], [customer])
		self.assertEqual(outcome.result.data["site"], "norte")
		self.assertFalse(frappe.db.exists("Customer", customer))  # only the remote has it
		count = self.run_remote("find_documents", {"doctype": "Customer", "count_only": True})
		self.assertGreaterEqual(count.result.data["count"], 1)
		doc = self.run_remote("get_document", {"doctype": "Customer", "name": customer})
		self.assertEqual(doc.result.data["fields"]["customer_name"], customer)

	def test_the_remote_sites_permissions_apply(self):
		# the remote user has no Accounts role there: Sales Invoices are refused by the remote
		outcome = self.run_remote("find_documents", {"doctype": "Sales Invoice"})
		self.assertFalse(outcome.ok)
		self.assertTrue(outcome.refused)
		self.assertIn("norte", outcome.error)
		self.assertTrue(outcome.error.startswith("En norte no tienes permiso"), outcome.error)

	def test_totals_and_stock_read_remotely(self):
		totals = self.run_remote(
			"totals_by_group", {"doctype": "Customer", "sum_field": "idx", "group_by": "customer_group"}
		)
		self.assertTrue(totals.ok, totals.error)
		unknown = self.run_remote("stock_balance", {"item": f"NO-SUCH-ITEM-{self.suffix}"})
		self.assertFalse(unknown.ok)
		self.assertIn("NO-SUCH-ITEM", unknown.error)

	def test_draft_quotation_on_the_remote(self):
		arguments = {
			"doctype": "Quotation",
			"customer": self.seeded["customer"],
			"items": [{"item": self.seeded["item"], "qty": 2, "rate": 15}],
		}
		definition = catalogue.find("create_sales_document", self.sales)
		checked, _errors = definition.check(arguments)
		executor = self.executor()
		preview = executor.execute(definition, checked, self.sales, call=definition.preview)
		self.assertTrue(preview.ok, preview.error)
		self.assertIn("norte", preview.result.text)
		created = executor.execute(definition, checked, self.sales)
		self.assertTrue(created.ok, created.error)
		name = created.result.data["name"]
		stored = rf.remote(
			"frappe.client.get_value",
			doctype="Quotation",
			fieldname=["party_name", "docstatus", "grand_total", "owner"],
			filters=name,
		)
		self.assertEqual(
			(stored["party_name"], stored["docstatus"], stored["grand_total"], stored["owner"]),
			(self.seeded["customer"], 0, 30, self.remote_email),
		)
		reference = {"doctype": "Quotation", "name": name}
		for command, docstatus in (("submit_document", 1), ("cancel_document", 2)):
			with self.subTest(command=command):
				definition = catalogue.find(command, self.sales)
				preview = executor.execute(definition, reference, self.sales, call=definition.preview)
				self.assertIn(name, preview.result.text)
				self.assertTrue(preview.result.text.startswith("*norte* · "))  # says where
				done = executor.execute(definition, reference, self.sales)
				self.assertTrue(done.ok, done.error)
				self.assertEqual(
					rf.remote(
						"frappe.client.get_value", doctype="Quotation", fieldname="docstatus", filters=name
					),
					{"docstatus": docstatus},
				)
				# the PDF of the submitted one; the remote refuses to print a cancelled one
				pdf = executor.execute(catalogue.find("send_document_pdf", self.sales), reference, self.sales)
				if docstatus == 1:
					self.assertTrue(pdf.ok, pdf.error)
					self.assertTrue(pdf.result.attachment[1].startswith(b"%PDF"))
				else:
					self.assertTrue(pdf.refused)
					self.assertIn("cancelled", pdf.error)

	def test_local_only_command_says_so(self):
		outcome = self.run_remote("sales_summary", {})
		self.assertFalse(outcome.ok)
		self.assertEqual(
			outcome.error, texts.text("remote_local_only", "es", command="sales_summary", site="norte")
		)


class TestStartCommandOnTheRemote(RemoteTestCase):
	"""api/remote.py as the remote site's own rules see a call made with a remote user's key."""

	def client(self, key=None):
		from whatsapp_chatbot.executors.rest import Client

		key = key or self.key
		return Client(self.site, key["api_key"], key["api_secret"])

	def test_writes_need_the_persons_confirmation(self):
		from whatsapp_chatbot.executors.rest import RemoteError

		with self.assertRaises(RemoteError) as raised:
			self.client().call(
				"whatsapp_chatbot.api.remote.start_command",
				command="create_todo",
				arguments={"description": "desde otro sitio"},
				post=True,
			)
		self.assertEqual(raised.exception.kind, "rejected")
		self.assertIn("confirm", raised.exception.detail)

	def test_arguments_are_validated_there(self):
		from whatsapp_chatbot.executors.rest import RemoteError

		with self.assertRaises(RemoteError) as raised:
			self.client().call(
				"whatsapp_chatbot.api.remote.start_command",
				command="find_documents",
				arguments={"doctype": "Customer", "limit": 5000},
				post=True,
			)
		self.assertIn("at most 50", raised.exception.detail)

	def test_a_remote_user_without_the_chat_role_is_refused(self):
		from whatsapp_chatbot.executors.rest import RemoteError

		email = f"norte-sin-rol-{self.suffix}@example.com"
		key = rf.remote(
			"whatsapp_chatbot.tests.remote_users.make_api_user", email=email, roles=["Sales User"]
		)
		try:
			with self.assertRaises(RemoteError) as raised:
				self.client(key).call(
					"whatsapp_chatbot.api.remote.start_command",
					command="find_documents",
					arguments={"doctype": "Customer"},
					post=True,
				)
			self.assertEqual(raised.exception.kind, "forbidden")
		finally:
			rf.remote("whatsapp_chatbot.tests.remote_users.drop_user", email=email)


class TestWhoMayUseWhichSite(RemoteTestCase):
	def test_site_enum_only_for_contacts_with_access(self):
		tools = {
			c.name: c.tool()["function"] for c in catalogue.for_user(self.sales, self.sales_contact.name)
		}
		site = tools["find_documents"]["parameters"]["properties"][SITE]
		self.assertEqual(site["enum"], ["local", "norte", None])
		self.assertNotIn(SITE, tools["sales_summary"]["parameters"]["properties"])
		self.assertTrue(tools["sales_summary"]["description"].endswith("This site only."))
		remote_capable = {name for name, c in REGISTRY.items() if c.remote}
		self.assertTrue(
			{"find_documents", "get_document", "submit_document", "export_report"} <= remote_capable
		)
		for contact in (self.sales_contact_en.name, self.store_contact.name, None):
			for command in catalogue.for_user(self.sales, contact):
				self.assertNotIn(SITE, command.tool()["function"]["parameters"]["properties"], contact)

	def test_help_names_the_contacts_sites(self):
		[reply] = self.say("/help")
		self.assertIn(texts.text("help_sites", "es", sites="norte", example="norte"), self.body(reply))
		[reply] = self.say("/help", self.US)
		self.assertNotIn("norte", self.body(reply))

	def test_disabled_site_is_not_offered(self):
		self.site.db_set("enabled", 0)
		self.assertEqual(remote.permissions.remote_sites(self.sales_contact.name), [])
		command = catalogue.find("find_documents", self.sales, self.sales_contact.name)
		self.assertNotIn(SITE, command.params)

	def test_contact_without_access_cannot_use_the_site(self):
		command = catalogue.find("find_documents", self.sales, self.sales_contact_en.name)
		_arguments, errors = command.check({"doctype": "Customer", SITE: "norte"})
		self.assertEqual(errors, ["arguments.site is not a known parameter"])
		outcome = self.executor(self.sales_contact_en.name, language="en").execute(
			command, {"doctype": "Customer"}, self.sales
		)
		self.assertFalse(outcome.ok)
		self.assertEqual(outcome.error, texts.text("remote_no_access", "en", site="norte"))

	def test_default_site_and_local(self):
		self.assertIsNone(remote.site_for(self.sales_contact.name, {}))
		frappe.db.set_value("Chatbot Remote Access", {"contact": self.sales_contact.name}, "is_default", 1)
		self.assertEqual(remote.site_for(self.sales_contact.name, {}), "norte")
		self.assertIsNone(remote.site_for(self.sales_contact.name, {SITE: "local"}))
		command = catalogue.find("find_documents", self.sales, self.sales_contact.name)
		self.assertEqual(command.params[SITE].description, "where to run; null: norte")

	def test_one_default_per_contact(self):
		make_remote_site("sur", self.web.base_url)
		first = frappe.get_doc("Chatbot Remote Access", {"contact": self.sales_contact.name})
		first.is_default = 1
		first.save()
		second = grant(self.sales_contact.name, "sur", self.key, is_default=1)
		self.assertEqual(frappe.db.get_value("Chatbot Remote Access", first.name, "is_default"), 0)
		self.assertEqual(frappe.db.get_value("Chatbot Remote Access", second.name, "is_default"), 1)
		with self.assertRaises(frappe.DuplicateEntryError):
			grant(self.sales_contact.name, "sur", self.key)
		self.assertEqual(remote.permissions.remote_sites(self.sales_contact.name), ["sur", "norte"])

	def test_secret_is_stored_encrypted(self):
		row = frappe.get_doc("Chatbot Remote Access", {"contact": self.sales_contact.name})
		self.assertNotEqual(
			frappe.db.get_value("Chatbot Remote Access", row.name, "api_secret"), self.key["api_secret"]
		)
		self.assertEqual(row.get_password("api_secret"), self.key["api_secret"])


class _Broken(BaseHTTPRequestHandler):
	"""What a reverse proxy in front of a remote site answers when the site is in trouble."""

	mode = "502"

	def do_GET(self):
		if self.mode == "slow":
			time.sleep(3)
		body = b"<html><body>502 Bad Gateway</body></html>"
		self.send_response(502)
		self.send_header("Content-Type", "text/html")
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		self.wfile.write(body)

	do_POST = do_GET

	def log_message(self, *args):
		pass


class TestRemoteFailures(RemoteTestCase):
	def find(self, language="es"):
		return self.run_remote("find_documents", {"doctype": "Customer"}, language=language)

	def test_wrong_secret_is_401(self):
		row = frappe.get_doc("Chatbot Remote Access", {"contact": self.sales_contact.name})
		row.api_secret = "not-the-secret"
		row.save()
		outcome = self.find("en")
		self.assertEqual(outcome.error, texts.text("remote_unauthorized", "en", site="norte"))
		self.assertNotIn("not-the-secret", json.dumps(frappe.get_all("Error Log", fields=["*"]), default=str))

	def test_site_down(self):
		self.site.db_set("base_url", f"http://127.0.0.1:{free_port()}")
		self.assertEqual(self.find().error, texts.text("remote_down", "es", site="norte"))

	def test_5xx_and_timeout(self):
		with LocalServer(_Broken) as proxy:
			self.site.db_set({"base_url": proxy.base_url, "timeout": 1})
			self.assertEqual(self.find().error, texts.text("remote_server", "es", site="norte"))
			_Broken.mode = "slow"
			try:
				self.assertEqual(self.find("en").error, texts.text("remote_timeout", "en", site="norte"))
			finally:
				_Broken.mode = "502"

	def test_failure_is_recorded_for_the_desk(self):
		self.site.db_set("base_url", f"http://127.0.0.1:{free_port()}")
		command = catalogue.find("find_documents", self.sales, self.sales_contact.name)
		self.openai.script(call("find_documents", {"doctype": "Customer", SITE: "norte"}), say("No pude."))
		self.say("clientes en norte")
		doc = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((doc.command, doc.status, doc.remote_site), (command.name, "Failed", "norte"))
		self.assertIn(texts.text("remote_down", "es", site="norte"), doc.error)
		self.assertIn("down", doc.error)


class TestRemoteThroughTheModel(RemoteTestCase):
	def test_named_site_reaches_the_remote(self):
		customer = self.seeded["customer"]
		self.openai.script(
			call(
				"find_documents",
				{"doctype": "Customer", "filters": [f"customer_name = {customer}"], SITE: "norte"},
			),
			say("Listo."),
		)
		self.say("busca el cliente en la sucursal norte")
		tools = {t["function"]["name"]: t["function"] for t in self.openai.requests[0]["tools"]}
		self.assertEqual(
			tools["find_documents"]["parameters"]["properties"][SITE]["enum"], ["local", "norte", None]
		)
		tool_result = [m for m in self.openai.requests[1]["messages"] if m["role"] == "tool"][-1]["content"]
		self.assertIn(customer, tool_result)
		doc = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((doc.status, doc.remote_site), ("Succeeded", "norte"))

	def test_remote_write_is_confirmed_here_first(self):
		arguments = {
			"doctype": "Quotation",
			"customer": self.seeded["customer"],
			"items": [{"item": self.seeded["item"], "qty": 3, "rate": 10}],
			"delivery_date": None,
			SITE: "norte",
		}
		self.openai.script(call("create_sales_document", arguments))
		[preview] = self.say("cotiza 3 tornillos al cliente de norte")
		self.assertEqual(preview["type"], "interactive")
		self.assertIn("norte", self.body(preview))
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(command.status, "Awaiting Confirmation")
		mine = {"party_name": self.seeded["customer"], "owner": self.remote_email, "docstatus": 0}

		def drafts():  # (bench execute prints nothing for an empty answer)
			return rf.remote("frappe.get_all", doctype="Quotation", filters=mine, pluck="name") or []

		self.assertEqual(drafts(), [])  # nothing written there yet
		[done] = self.press(self.buttons(preview)[0])
		self.assertEqual(len(drafts()), 1)
		command.reload()
		self.assertEqual((command.status, command.remote_site), ("Succeeded", "norte"))
		self.assertIn(drafts()[0], self.body(done))  # the remote Quotation's name

	def test_prefix_is_byte_identical_across_turns(self):
		self.openai.script(say("Hola."), say("Hola otra vez."))
		self.say("hola")
		self.say("hola de nuevo")
		first, second = self.openai.requests[-2:]
		self.assertEqual(json.dumps(first["tools"]), json.dumps(second["tools"]))
		self.assertEqual(first["messages"][0], second["messages"][0])
		self.assertIn(SITE, json.dumps(first["tools"]))


class TestRemoteThroughTheTunnel(RemoteTestCase):
	"""The same executor through a real sshd: the traffic is in sshd's log as forwarded channels."""

	@classmethod
	def setUpClass(cls):
		skip_unless_remote(sshd=True)
		super().setUpClass()
		cls.sshd = SSHServer([("127.0.0.1", cls.web.port)]).start()

	@classmethod
	def tearDownClass(cls):
		tunnels.POOL.close()
		cls.sshd.cleanup()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		self.site.update(rf.tunnel_values(self.sshd, self.web.port))
		self.site.save()
		frappe.db.commit()

	def test_reads_and_refusals_through_the_tunnel(self):
		before = len(self.sshd.forwarded_channels(self.web.port))
		customer = self.seeded["customer"]
		outcome = self.run_remote(
			"find_documents", {"doctype": "Customer", "filters": [f"customer_name = {customer}"]}
		)
		self.assertTrue(outcome.ok, outcome.error)
		self.assertEqual([row["name"] for row in outcome.result.data["rows"]], [customer])
		refused = self.run_remote("find_documents", {"doctype": "Sales Invoice"})
		self.assertTrue(refused.refused, refused.error)
		self.assertGreater(len(self.sshd.forwarded_channels(self.web.port)), before)


class TestRemoteWithoutTheApp(RemoteTestCase):
	"""The remote answers this app's methods as a site without whatsapp_chatbot does (a proxy in front
	of the real remote sends them to a module it does not have): long work then runs its REST calls
	from this site's long job; an admin-defined command, which only the remote could run, says so."""

	settings = {"long_row_threshold": 1}  # this run's two customers there make it long

	def setUp(self):
		super().setUp()
		self.proxy = rf.without_the_app(self.web.base_url)
		self.site.db_set("base_url", self.proxy.base_url)
		frappe.db.commit()

	def tearDown(self):
		self.proxy.stop()
		super().tearDown()

	def test_long_export_runs_its_rest_calls_from_here(self):
		customer = self.seeded["customer"]
		names = [customer, customer.replace("Norte", "Sur")]
		arguments = {"doctype": "Customer", "filters": [f"name in {', '.join(names)}"], SITE: "norte"}
		self.openai.script(call("export_list", arguments))
		[ack] = self.say("exporta ese cliente de norte")
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(self.body(ack), texts.text("working", "es", ref=command.name))
		f.run_jobs()
		command.reload()
		self.assertEqual((command.status, command.remote_site), ("Succeeded", "norte"), command.error)
		self.assertFalse(command.remote_command)
		self.assertIn("the remote site has no whatsapp_chatbot", command.remote_follow)
		document = self.graph.sent_messages()[-1]
		self.assertEqual(document["document"]["filename"], "cliente.xlsx")  # Customer, in Spanish
		sheet = load_workbook(io.BytesIO(self.graph.media[document["document"]["id"]][0])).active
		self.assertEqual(
			sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)), sorted(names)
		)

	def test_admin_defined_long_command_needs_the_app_there(self):
		slow_file = rf.define_slow_file_command(self.addCleanup)
		self.openai.script(call(slow_file, {"steps": 1, "seconds": 0, SITE: "norte"}))
		self.say("el archivo lento en norte")
		f.run_jobs()
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual(command.status, "Failed")
		self.assertIn("no whatsapp_chatbot", command.remote_follow)
		self.assertIn(
			texts.text("remote_needs_app", "es", site="norte"), self.body(self.graph.sent_messages()[-1])
		)
