"""The remote executor through an SSH tunnel: the bench's second site (remote.localhost) behind
gunicorn on a free loopback port, reachable only through a real OpenSSH server (tests/sshd.py).

Commands run as the contact's remote user (limited roles there: a permission refusal comes from
the remote), two commands share one SSH connection, and every tunnel failure reaches the user in
their language and the Desk with the detail: host key mismatch, key refused, SSH server down, the
remote site down behind it, and the tunnel killed while a long command was being followed."""

from __future__ import annotations

import threading
import time
import unittest

import frappe

from whatsapp_chatbot import texts
from whatsapp_chatbot.executors import remote_long, tunnels
from whatsapp_chatbot.executors.remote import RemoteExecutor
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call
from whatsapp_chatbot.tests.long_task import define_slow_command, slow_command
from whatsapp_chatbot.tests.processes import WebServer, free_port
from whatsapp_chatbot.tests.remote_fixture import tunnel_values
from whatsapp_chatbot.tests.remote_users import REMOTE_SITE, on_site, skip_unless_remote
from whatsapp_chatbot.tests.sshd import SSHServer, generate_key
from whatsapp_chatbot.tools import catalogue

REMOTE_ROLES = ["WhatsApp Chatbot User", "Sales User", "Stock User"]  # no Accounts role there
SOCKETIO_PORT = 9000


class Shared:
	"""Started once for the module: gunicorn, sshd and a remote user take seconds each."""

	run_id = frappe.generate_hash(length=6)
	web = sshd = key = None
	closed_port = free_port()
	slow = f"pasos_lentos_{run_id}"  # on both sites: the remote runs what this site names


def setUpModule():
	skip_unless_remote(sshd=True)
	Shared.web = WebServer(workers=2, name="remote-tunnel-web").start()
	Shared.sshd = SSHServer(
		[("127.0.0.1", Shared.web.port), ("127.0.0.1", SOCKETIO_PORT), ("127.0.0.1", Shared.closed_port)]
	).start()
	Shared.key = on_site(
		REMOTE_SITE,
		"whatsapp_chatbot.tests.remote_users.make_api_user",
		email=f"tunnel-exec-{Shared.run_id}@example.com",
		roles=REMOTE_ROLES,
	)
	# removed there on every way out, set-up failing half-way included (module cleanups run then)
	unittest.addModuleCleanup(
		on_site, REMOTE_SITE, "whatsapp_chatbot.tests.definitions.remove", name=Shared.slow
	)
	on_site(REMOTE_SITE, "whatsapp_chatbot.tests.definitions.insert", values=slow_command(Shared.slow))


def tearDownModule():
	tunnels.POOL.close()
	try:
		on_site(REMOTE_SITE, "whatsapp_chatbot.tests.remote_users.drop_user", email=Shared.key["user"])
	finally:
		Shared.sshd.cleanup()
		Shared.web.stop()


class RemoteTunnelTestCase(f.InterpreterTestCase):
	def setUp(self):
		super().setUp()
		self.sshd = Shared.sshd
		self.names: list[str] = []

	def tearDown(self):
		for name in self.names:
			tunnels.POOL.close(name)
			frappe.db.delete("Chatbot Remote Access", {"remote_site": name})
			frappe.db.delete("Chatbot Remote Site", name)
		frappe.db.commit()
		super().tearDown()

	def tunnelled_site(self, label: str, sshd: SSHServer | None = None, is_default: int = 0, **values) -> str:
		"""A Chatbot Remote Site reaching remote.localhost through sshd, usable by the sales contact."""
		sshd = sshd or self.sshd
		name = f"{label}-{Shared.run_id}"
		frappe.get_doc(
			{
				"doctype": "Chatbot Remote Site",
				"site_name": name,
				"base_url": f"http://{REMOTE_SITE}:{Shared.web.port}",
				"enabled": 1,
				"timeout": 10,
				"socketio_port": SOCKETIO_PORT,
				**tunnel_values(sshd, Shared.web.port),
				**values,
			}
		).insert(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Chatbot Remote Access",
				"contact": self.sales_contact.name,
				"remote_site": name,
				"api_key": Shared.key["api_key"],
				"api_secret": Shared.key["api_secret"],
				"is_default": is_default,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.names.append(name)
		return name

	def run_remote(self, site: str, command: str, arguments: dict, language: str = "es"):
		executor = RemoteExecutor(site, self.sales_contact.name, language)
		definition = catalogue.find(command, self.sales, self.sales_contact.name)
		checked, errors = definition.check({**arguments, "site": site})
		self.assertEqual(errors, [])
		return executor, executor.execute(definition, checked, self.sales)


class TestCommandsThroughTheTunnel(RemoteTunnelTestCase):
	def test_remote_permissions_apply_and_one_ssh_connection_serves_both_commands(self):
		site = self.tunnelled_site("tnorte")
		opened, logins = tunnels.POOL.opened, self.sshd.accepted_logins()
		channels = len(self.sshd.forwarded_channels(Shared.web.port))
		_, allowed = self.run_remote(site, "find_documents", {"doctype": "Customer", "count_only": True})
		self.assertTrue(allowed.ok, allowed.error)
		self.assertEqual(allowed.result.data["site"], site)
		# the remote user has no Accounts role there: the remote refuses Sales Invoices
		_, refused = self.run_remote(site, "find_documents", {"doctype": "Sales Invoice"})
		self.assertFalse(refused.ok)
		self.assertTrue(refused.refused)
		self.assertTrue(refused.error.startswith(f"En {site} no tienes permiso"), refused.error)
		# both commands went through sshd, over a single SSH connection
		self.assertGreaterEqual(len(self.sshd.forwarded_channels(Shared.web.port)) - channels, 2)
		self.assertEqual((tunnels.POOL.opened - opened, self.sshd.accepted_logins() - logins), (1, 1))

	def test_host_key_mismatch(self):
		site = self.tunnelled_site("tmitm", ssh_host_key=generate_key("ed25519")[1])
		executor, outcome = self.run_remote(site, "find_documents", {"doctype": "Customer"}, "en")
		self.assertEqual(outcome.error, texts.text("tunnel_host_key_mismatch", "en", site=site))
		self.assertIn("Refusing to connect", executor.desk_error(outcome))

	def test_key_refused(self):
		site = self.tunnelled_site("twrongkey", ssh_private_key=generate_key("rsa")[0])
		executor, outcome = self.run_remote(site, "find_documents", {"doctype": "Customer"})
		self.assertEqual(outcome.error, texts.text("tunnel_auth_refused", "es", site=site))
		self.assertIn("refused the key", executor.desk_error(outcome))

	def test_ssh_server_down(self):
		site = self.tunnelled_site("tnossh", ssh_port=free_port())
		_, outcome = self.run_remote(site, "find_documents", {"doctype": "Customer"})
		self.assertEqual(outcome.error, texts.text("tunnel_unreachable", "es", site=site))

	def test_remote_site_down_behind_the_ssh_server(self):
		site = self.tunnelled_site("tdown", remote_port=Shared.closed_port)
		executor, outcome = self.run_remote(site, "find_documents", {"doctype": "Customer"})
		self.assertEqual(outcome.error, texts.text("tunnel_remote_down", "es", site=site))
		self.assertIn(str(Shared.closed_port), executor.desk_error(outcome))
		self.assertTrue(self.sshd.forwarded_channels(Shared.closed_port))


class TestTunnelKilledMidJob(RemoteTunnelTestCase):
	def test_the_command_fails_with_the_reason(self):
		define_slow_command(self.addCleanup, Shared.slow)
		with SSHServer([("127.0.0.1", Shared.web.port), ("127.0.0.1", SOCKETIO_PORT)]) as own_sshd:
			site = self.tunnelled_site("tkill", sshd=own_sshd)
			command = catalogue.find(Shared.slow, self.sales, self.sales_contact.name)
			arguments, errors = command.check({"steps": 20, "seconds": 1, "site": site})
			self.assertEqual(errors, [])
			doc = frappe.get_doc(
				{
					"doctype": "Chatbot Command",
					"command": command.name,
					"kind": "Long",
					"status": "Running",
					"run_as": self.sales,
					"contact": self.sales_contact.name,
					"arguments": frappe.as_json(arguments),
				}
			).insert(ignore_permissions=True)
			frappe.db.commit()
			killer = threading.Timer(4.0, own_sshd.kill)
			killer.start()
			started = time.monotonic()
			outcome = remote_long.run(doc, command, arguments, site, "es")
			killer.join()
		self.assertLess(time.monotonic() - started, 30)
		self.assertFalse(outcome.ok)
		self.assertEqual(outcome.error, texts.text("tunnel_dropped", "es", site=site))
		frappe.db.rollback()  # the notes were committed on the side connection (realtime/side_db.py)
		doc.reload()
		self.assertTrue(doc.remote_command)  # it had been started there before the tunnel died
		self.assertIn("tunnel_dropped", doc.remote_follow)
		self.assertIn("tunnel_dropped", doc.error)


class TestTunnelKilledDuringAChatCommand(RemoteTunnelTestCase):
	"""The whole path: the contact asks, the long job starts the command on the remote through the
	tunnel and follows it, sshd dies under it; the contact hears it once, the command is Failed."""

	def test_the_user_hears_it_once_and_the_command_is_failed_with_the_reason(self):
		define_slow_command(self.addCleanup, Shared.slow)
		with SSHServer([("127.0.0.1", Shared.web.port), ("127.0.0.1", SOCKETIO_PORT)]) as own_sshd:
			# the contact's default site: a command that names none runs there
			site = self.tunnelled_site("tchat", sshd=own_sshd, is_default=1)
			self.openai.script(call(Shared.slow, {"steps": 20, "seconds": 1}))
			[ack] = self.say("corre los pasos lentos")
			command = frappe.get_last_doc("Chatbot Command")
			self.assertEqual(self.body(ack), texts.text("working", "es", ref=command.name))
			before = len(self.graph.sent_messages())
			killer = threading.Timer(4.0, own_sshd.kill)
			killer.start()
			f.run_jobs(queues=("long",))  # this site's long job, in-process, as a worker runs it
			killer.join()
		command.reload()
		dropped = texts.text("tunnel_dropped", "es", site=site)
		told = [self.body(m) for m in self.graph.sent_messages()[before:] if dropped in self.body(m)]
		self.assertEqual(told, [texts.text("long_failed", "es", ref=command.name, reason=dropped)])
		self.assertEqual((command.status, command.remote_site), ("Failed", site))
		self.assertTrue(command.remote_command)  # it had been started there
		self.assertIn(dropped, command.error)
		self.assertIn("tunnel_dropped", command.remote_follow)
		# nothing more is said about it afterwards (the sweep finds nothing to report)
		from whatsapp_chatbot.jobs.sweep import sweep

		sweep()
		f.run_jobs()
		later = [self.body(m) for m in self.graph.sent_messages()[before:] if command.name in self.body(m)]
		self.assertEqual(len(later), 1, later)


class TestChatThroughTheTunnel(RemoteTunnelTestCase):
	"""From WhatsApp (a /command, so the bot's own words reach the contact without the model)."""

	def test_a_command_naming_the_site_runs_there_and_the_remote_refusal_is_heard(self):
		site = self.tunnelled_site("tslash")
		channels = len(self.sshd.forwarded_channels(Shared.web.port))
		[allowed] = self.say(f"/find_documents doctype=Customer count_only=true site={site}")
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.status, command.remote_site), ("Succeeded", site), command.error)
		self.assertTrue(self.body(allowed))
		[refused] = self.say(f'/find_documents doctype="Sales Invoice" site={site}')
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.status, command.remote_site), ("Failed", site))
		# heard as the remote's refusal, naming the site; the remote's own words also kept for the Desk
		remote_words = f"En {site} no tienes permiso"
		self.assertTrue(self.body(refused).startswith(remote_words), self.body(refused))
		self.assertIn(remote_words, command.error)
		self.assertGreaterEqual(len(self.sshd.forwarded_channels(Shared.web.port)) - channels, 2)

	def test_a_host_key_mismatch_is_heard_in_the_contacts_language_and_kept_for_the_desk(self):
		site = self.tunnelled_site("tslashmitm", ssh_host_key=generate_key("ed25519")[1])
		[reply] = self.say(f"/find_documents doctype=Customer site={site}")
		self.assertIn(texts.text("tunnel_host_key_mismatch", "es", site=site), self.body(reply))
		command = frappe.get_last_doc("Chatbot Command")
		self.assertEqual((command.status, command.remote_site), ("Failed", site))
		self.assertIn("Refusing to connect", command.error)
