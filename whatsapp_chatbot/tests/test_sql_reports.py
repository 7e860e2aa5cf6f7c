"""SQL Report definitions against remote.localhost's real database, through the test's sshd, as a
real MariaDB user that holds SELECT on that one database (made here, dropped at the end)."""

from __future__ import annotations

import io

import frappe
import pymysql
from openpyxl import load_workbook

from whatsapp_chatbot import texts
from whatsapp_chatbot.executors import local, sql_report, tunnels
from whatsapp_chatbot.tests import definitions as test_definitions
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests import remote_users
from whatsapp_chatbot.tests.fake_openai import call, say
from whatsapp_chatbot.tests.sshd import SSHServer, generate_key
from whatsapp_chatbot.tests.test_tunnels import REMOTE, TunnelTestCase
from whatsapp_chatbot.tools import definitions
from whatsapp_chatbot.tools.errors import CommandError

DEFINITION = "Chatbot Command Definition"
QUERY = "SELECT name, module FROM tabDocType WHERE name LIKE %(pattern)s ORDER BY name"


class TestSqlReports(TunnelTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.database = remote_users.site_database(REMOTE)
		cls.db_user, cls.db_password = f"ro_{cls.run_id}", frappe.generate_hash(length=16)
		remote_users.make_readonly_db_user(cls.db_user, cls.db_password, cls.database)
		cls.chat_user = f.make_user(f"sql-{cls.run_id}@example.com", roles=("Stock User",))

	@classmethod
	def tearDownClass(cls):
		remote_users.drop_db_user(cls.db_user)
		super().tearDownClass()

	def db_site(self, label: str, **values):
		database = {
			"db_host": "127.0.0.1",
			"db_port": 3306,
			"db_user": self.db_user,
			"db_password": self.db_password,
		}
		return self.make_site(label, **{**database, **values})

	def define(self, site, label: str, sql: str = QUERY, max_rows: int = 1000):
		name = test_definitions.define(
			self.addCleanup,
			{
				"command_name": f"sql_{label}_{self.run_id}",
				"description": "DocTypes whose name matches a pattern, from the remote database",
				"handler_type": "SQL Report",
				"remote_site": site.name,
				"database": self.database,
				"sql_query": sql,
				"max_rows": max_rows,
				"needs_confirmation": 0,
				"parameters": [
					{"parameter_name": "pattern", "type": "string", "required": 1, "description": "LIKE"}
				],
			},
		)
		return frappe.get_doc(DEFINITION, name)

	def expected(self, pattern: str) -> list[tuple]:
		"""The same rows read directly as root: what the report must show."""
		connection = remote_users._root()
		with connection, connection.cursor() as cursor:
			cursor.execute(
				f"SELECT name, module FROM `{self.database}`.tabDocType WHERE name LIKE %s ORDER BY name",
				(pattern,),
			)
			return [tuple(r) for r in cursor.fetchall()]

	def run_as_chat_user(self, definition, **arguments) -> local.Outcome:
		command = definitions.to_command(definition)
		return local.execute(command, arguments, self.chat_user)

	def test_a_few_rows_as_text_through_the_tunnel(self):
		site = self.db_site("sqltext")
		definition = self.define(site, "text")
		channels = len(self.sshd.forwarded_channels(3306))
		outcome = self.run_as_chat_user(definition, pattern="Sales Invoice%")
		self.assertTrue(outcome.ok, outcome.error)
		expected = self.expected("Sales Invoice%")
		self.assertTrue(0 < len(expected) <= sql_report.TEXT_ROWS)
		self.assertEqual(outcome.result.data["rows"], len(expected))
		self.assertEqual([(r["name"], r["module"]) for r in outcome.result.data["first_rows"]], expected)
		for name, _module in expected:
			self.assertIn(name, outcome.result.text)
		self.assertIsNone(outcome.result.attachment)
		# read through the SSH server, to the database port
		self.assertEqual(len(self.sshd.forwarded_channels(3306)) - channels, 1)

	def test_many_rows_as_xlsx_capped_at_max_rows(self):
		site = self.db_site("sqlxlsx")
		definition = self.define(site, "xlsx", max_rows=20)
		self.assertGreater(len(self.expected("%")), 20)
		outcome = self.run_as_chat_user(definition, pattern="%")
		self.assertTrue(outcome.ok, outcome.error)
		self.assertEqual((outcome.result.data["rows"], outcome.result.data["capped"]), (20, True))
		self.assertIn("there are more", outcome.result.text)
		filename, content, _mime = outcome.result.attachment
		self.assertTrue(filename.endswith(".xlsx"))
		sheet = load_workbook(io.BytesIO(content)).active
		rows = list(sheet.iter_rows(values_only=True))
		self.assertEqual(rows[0], ("name", "module"))
		self.assertEqual([tuple(r) for r in rows[1:]], self.expected("%")[:20])

	def test_parameters_are_bound_not_pasted(self):
		site = self.db_site("sqlbind")
		definition = self.define(site, "bind")
		outcome = self.run_as_chat_user(definition, pattern="x' OR '1'='1")
		self.assertTrue(outcome.ok, outcome.error)
		self.assertEqual(outcome.result.data["rows"], 0)

	def test_anything_but_one_select_is_refused_when_saved(self):
		site = self.db_site("sqlsave")
		for sql in (
			"SELECT name FROM tabDocType; DROP TABLE tabDocType",
			"SELECT name FROM tabDocType INTO OUTFILE '/tmp/x'",
			"SELECT name FROM tabDocType /*! FOR UPDATE */",
			"UPDATE tabDocType SET module = 'x'",
		):
			with self.subTest(sql=sql), self.assertRaises(frappe.ValidationError):
				self.define(site, f"bad{abs(hash(sql)) % 1000}", sql=sql)

	def test_a_query_changed_behind_validation_is_refused_before_it_is_sent(self):
		site = self.db_site("sqlsneak")
		definition = self.define(site, "sneak")
		definition.db_set("sql_query", "SELECT name FROM tabDocType WHERE name LIKE %(pattern)s FOR UPDATE")
		definition.reload()
		channels = len(self.sshd.forwarded_channels(3306))
		outcome = self.run_as_chat_user(definition, pattern="%")
		self.assertFalse(outcome.ok)
		self.assertIn("refused before sending", outcome.error)
		self.assertEqual(len(self.sshd.forwarded_channels(3306)), channels)  # nothing left this site

	def test_the_database_user_itself_cannot_write(self):
		"""The second wall: even a statement that got past the check could not change anything."""
		site = self.db_site("sqlwall")
		port = tunnels.forward(site, "127.0.0.1", 3306)
		connection = pymysql.connect(
			host="127.0.0.1", port=port, user=self.db_user, password=self.db_password, database=self.database
		)
		with connection, connection.cursor() as cursor:
			with self.assertRaises(pymysql.err.OperationalError) as caught:
				cursor.execute("UPDATE tabDocType SET module = module WHERE name = 'User'")
			self.assertEqual(caught.exception.args[0], 1142)  # UPDATE command denied

	def test_tunnel_failure_reads_in_the_users_language(self):
		site = self.db_site("sqlmitm", ssh_host_key=generate_key("ed25519")[1])
		definition = self.define(site, "mitm")
		outcome = self.run_as_chat_user(definition, pattern="%")
		self.assertFalse(outcome.ok)
		self.assertEqual(outcome.error, texts.text("tunnel_host_key_mismatch", "en", site=site.name))

	def test_wrong_database_password_is_said_plainly(self):
		site = self.db_site("sqlpw", db_password="not-the-password")
		definition = self.define(site, "pw")
		with self.assertRaises(CommandError) as caught:
			sql_report.run(definition, {"pattern": "%"})
		self.assertIn("refused the report's database user", str(caught.exception))


class TestSqlReportInChat(f.InterpreterTestCase):
	"""From WhatsApp: the model calls an admin's SQL report; the rows arrive as a file. Only the
	roles the admin named are offered it."""

	@classmethod
	def setUpClass(cls):
		remote_users.skip_unless_remote(sshd=True)
		super().setUpClass()
		cls.run_id = frappe.generate_hash(length=6)
		cls.sshd = SSHServer([("127.0.0.1", 3306)]).start()
		cls.database = remote_users.site_database(REMOTE)
		cls.db_user, cls.db_password = f"rc_{cls.run_id}", frappe.generate_hash(length=16)
		remote_users.make_readonly_db_user(cls.db_user, cls.db_password, cls.database)

	@classmethod
	def tearDownClass(cls):
		remote_users.drop_db_user(cls.db_user)
		cls.sshd.cleanup()
		frappe.db.delete("Chatbot Remote Site", {"site_name": ("like", f"%{cls.run_id}")})
		frappe.db.commit()
		super().tearDownClass()

	def test_the_rows_arrive_as_a_file_for_the_roles_allowed(self):
		site = frappe.get_doc(
			{
				"doctype": "Chatbot Remote Site",
				"site_name": f"sqlchat-{self.run_id}",
				"base_url": f"http://{REMOTE}",
				"enabled": 1,
				"timeout": 10,
				"use_ssh_tunnel": 1,
				"ssh_host": "127.0.0.1",
				"ssh_port": self.sshd.port,
				"ssh_user": self.sshd.user,
				"ssh_private_key": self.sshd.client_key("ecdsa"),
				"ssh_host_key": self.sshd.host_key,
				"remote_port": 80,
				"db_host": "127.0.0.1",
				"db_port": 3306,
				"db_user": self.db_user,
				"db_password": self.db_password,
			}
		).insert(ignore_permissions=True)
		name = f"doctypes_{self.run_id}"
		test_definitions.define(
			self.addCleanup,
			{
				"command_name": name,
				"description": "DocTypes of the remote site whose name matches a pattern",
				"handler_type": "SQL Report",
				"remote_site": site.name,
				"database": self.database,
				"sql_query": QUERY,
				"max_rows": 20,
				"needs_confirmation": 0,
				"roles": [{"role": "Sales User"}],
				"parameters": [
					{"parameter_name": "pattern", "type": "string", "required": 1, "description": "LIKE"}
				],
			},
		)
		channels = len(self.sshd.forwarded_channels(3306))
		self.openai.script(call(name, {"pattern": "%"}), say("Aquí está el reporte."))
		sent = self.say("dame los doctypes del sitio remoto")
		self.assertEqual([m["type"] for m in sent], ["document", "text"])
		document = sent[0]["document"]
		self.assertEqual(document["filename"], f"{name}.xlsx")
		sheet = load_workbook(io.BytesIO(self.graph.media[document["id"]][0])).active
		self.assertEqual(sheet.max_row, 1 + 20)  # the header and the capped rows
		self.assertEqual(len(self.sshd.forwarded_channels(3306)) - channels, 1)
		command = frappe.get_last_doc("Chatbot Command", filters={"command": name})
		self.assertEqual(command.status, "Succeeded")
		# the storekeeper (Stock User only) is never offered it
		self.openai.script(say("No puedo."))
		self.say("dame los doctypes", wa_id=self.STORE_MX)
		self.assertNotIn(name, self.tools_offered())
