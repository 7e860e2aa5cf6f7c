"""SSH tunnels against a real OpenSSH server (tests/sshd.py) in front of the bench's second site,
remote.localhost, served by gunicorn on a free loopback port: requests as a remote user with limited
roles, the pinned host key, wrong keys, every key type, the remote site down behind the SSH server, a
drop mid-request, reuse of one connection, idle close and reopening after a drop; the Test
connection button's method; SQL reports through the tunnel as a real read-only MariaDB user.

The traffic's path is proven from sshd's own log: each forwarded channel is a DEBUG1 line naming
its target port."""

from __future__ import annotations

import socket
import threading
import time

import frappe
import requests

from whatsapp_chatbot.executors import connection_check, tunnels
from whatsapp_chatbot.tests import children, remote_users
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.processes import WebServer, free_port
from whatsapp_chatbot.tests.remote_fixture import tunnel_values
from whatsapp_chatbot.tests.sshd import SSHServer, generate_key

REMOTE = remote_users.REMOTE_SITE
SITE_DOCTYPE = "Chatbot Remote Site"


class TunnelTestCase(f._SiteTestCase):
	@classmethod
	def setUpClass(cls):
		remote_users.skip_unless_remote(sshd=True)
		cls.addClassCleanup(children.stop_since, children.mark())  # also when set-up fails half-way
		super().setUpClass()
		cls.run_id = frappe.generate_hash(length=6)
		cls.web = WebServer(workers=2, name="remote-web").start()
		cls.closed_port = free_port()  # nothing listens there: "the remote site is down"
		cls.sshd = SSHServer(
			[("127.0.0.1", cls.web.port), ("127.0.0.1", 3306), ("127.0.0.1", cls.closed_port)]
		).start()
		# a remote user who may read stock, not sales
		cls.remote_user = remote_users.on_site(
			REMOTE,
			"whatsapp_chatbot.tests.remote_users.make_api_user",
			email=f"tunnel-{cls.run_id}@example.com",
			roles=["Stock User"],
		)

	@classmethod
	def tearDownClass(cls):
		tunnels.POOL.close()
		cls.sshd.cleanup()
		cls.web.stop()
		remote_users.on_site(
			REMOTE, "whatsapp_chatbot.tests.remote_users.drop_user", email=cls.remote_user["user"]
		)
		frappe.db.delete(SITE_DOCTYPE, {"site_name": ("like", f"%{cls.run_id}")})
		frappe.db.commit()
		super().tearDownClass()

	def make_site(self, label: str, **values):
		"""A Chatbot Remote Site for remote.localhost through the test's sshd."""
		doc = frappe.get_doc(
			{
				"doctype": SITE_DOCTYPE,
				"site_name": f"{label}-{self.run_id}",
				"base_url": f"http://{REMOTE}:{self.web.port}",
				"enabled": 1,
				"timeout": 10,
				**tunnel_values(self.sshd, self.web.port),
				**values,
			}
		)
		doc.insert(ignore_permissions=True)
		frappe.db.commit()
		return frappe.get_doc(SITE_DOCTYPE, doc.name)

	def remote_get(self, site, method: str, pool=None, timeout: float = 10, **params) -> requests.Response:
		url, host = tunnels.endpoint(site, pool)
		key = f"token {self.remote_user['api_key']}:{self.remote_user['api_secret']}"
		return requests.get(
			f"{url}/api/method/{method}",
			params=params,
			headers={"Host": host, "Authorization": key},
			timeout=timeout,
		)


class TestTunnels(TunnelTestCase):
	def test_remote_user_through_the_tunnel_with_the_remote_permissions(self):
		site = self.make_site("perm")
		channels_before = len(self.sshd.forwarded_channels(self.web.port))
		response = self.remote_get(site, "frappe.auth.get_logged_user")
		self.assertEqual(response.json()["message"], self.remote_user["user"])
		allowed = self.remote_get(site, "frappe.client.get_count", doctype="Item")
		self.assertEqual(allowed.status_code, 200)
		refused = self.remote_get(site, "frappe.client.get_list", doctype="Sales Invoice")
		self.assertEqual(refused.status_code, 403)
		self.assertEqual(refused.json().get("exc_type"), "PermissionError")
		# the three requests were channels of sshd to the remote's web port
		self.assertGreaterEqual(len(self.sshd.forwarded_channels(self.web.port)) - channels_before, 3)

	def test_one_ssh_connection_serves_many_requests(self):
		pool = tunnels.TunnelPool()
		site = self.make_site("reuse")
		logins_before = self.sshd.accepted_logins()
		for _ in range(3):
			self.assertEqual(self.remote_get(site, "ping", pool).json()["message"], "pong")
		self.assertEqual(pool.opened, 1)
		self.assertEqual(self.sshd.accepted_logins() - logins_before, 1)
		# another forward (the database port) rides on the same SSH connection
		pool_port = tunnels.forward(site, "127.0.0.1", 3306, pool)
		self.assertNotEqual(pool_port, tunnels.endpoint(site, pool)[0].rsplit(":", 1)[1])
		self.assertEqual(pool.opened, 1)
		pool.close()

	def test_every_supported_key_type(self):
		for kind in ("ed25519", "ecdsa", "rsa"):
			with self.subTest(kind=kind):
				pool = tunnels.TunnelPool()
				site = self.make_site(f"key{kind}", ssh_private_key=self.sshd.client_key(kind))
				self.assertEqual(self.remote_get(site, "ping", pool).json()["message"], "pong")
				pool.close()

	def test_host_key_mismatch_refuses_before_any_credential(self):
		site = self.make_site("mitm", ssh_host_key=generate_key("ed25519")[1])
		logins_before = self.sshd.accepted_logins()
		with self.assertRaises(tunnels.HostKeyMismatch) as caught:
			tunnels.endpoint(site, tunnels.TunnelPool())
		self.assertEqual(caught.exception.kind, "host_key_mismatch")
		self.assertIn(tunnels.fingerprint(tunnels.parse_host_key(self.sshd.host_key)), str(caught.exception))
		self.assertEqual(self.sshd.accepted_logins(), logins_before)
		self.assertNotIn("Accepted publickey", self.sshd.log()[-3000:].split("Connection from")[-1])

	def test_a_key_the_server_does_not_know_is_refused(self):
		site = self.make_site("wrongkey", ssh_private_key=generate_key("ed25519")[0])
		with self.assertRaises(tunnels.AuthRefused) as caught:
			tunnels.endpoint(site, tunnels.TunnelPool())
		self.assertEqual(caught.exception.kind, "auth_refused")
		self.assertNotIn("PRIVATE KEY", str(caught.exception))

	def test_unreachable_and_silent_ssh_servers(self):
		site = self.make_site("nossh", ssh_port=free_port())
		with self.assertRaises(tunnels.Unreachable):
			tunnels.endpoint(site, tunnels.TunnelPool())
		# a listener that never speaks SSH: the handshake times out
		silent = socket.socket()
		silent.bind(("127.0.0.1", 0))
		silent.listen(1)
		try:
			site = self.make_site("silent", ssh_port=silent.getsockname()[1], timeout=1)
			started = time.monotonic()
			with self.assertRaises(tunnels.ConnectTimeout):
				tunnels.endpoint(site, tunnels.TunnelPool())
			self.assertLess(time.monotonic() - started, 5)
		finally:
			silent.close()

	def test_remote_site_down_behind_the_ssh_server(self):
		pool = tunnels.TunnelPool()
		site = self.make_site("down", remote_port=self.closed_port)
		with self.assertRaises(requests.ConnectionError) as caught:
			self.remote_get(site, "ping", pool)
		reason = tunnels.explain(site, caught.exception, pool)
		self.assertIsInstance(reason, tunnels.ForwardRefused)
		self.assertEqual(reason.kind, "remote_down")
		self.assertTrue(self.sshd.forwarded_channels(self.closed_port))
		pool.close()

	def test_a_refused_target_does_not_explain_another_targets_failure(self):
		"""Socket.IO closed behind the SSH server must not make a slow HTTP answer read "site down"."""
		pool = tunnels.TunnelPool()
		site = self.make_site("twoports")
		closed_local = tunnels.forward(site, "127.0.0.1", self.closed_port, pool)
		with socket.create_connection(("127.0.0.1", closed_local), timeout=10) as refused:
			self.assertEqual(refused.recv(1), b"")  # the forward hung up: sshd could not connect
		url, _host = tunnels.endpoint(site, pool)
		slow_http = requests.ReadTimeout(request=requests.Request("GET", f"{url}/api/method/ping").prepare())
		self.assertIsNone(tunnels.explain(site, slow_http, pool))
		closed = requests.ConnectionError(
			request=requests.Request("GET", f"http://127.0.0.1:{closed_local}/socket.io/").prepare()
		)
		self.assertIsInstance(tunnels.explain(site, closed, pool), tunnels.ForwardRefused)
		pool.close()

	def test_idle_tunnel_closes_and_reopens(self):
		pool = tunnels.TunnelPool(idle_timeout=0.5)
		site = self.make_site("idle")
		self.assertEqual(self.remote_get(site, "ping", pool).status_code, 200)
		first = pool.peek(site.name)
		first_url = tunnels.endpoint(site, pool)[0]
		deadline = time.monotonic() + 10
		while pool.peek(site.name) and time.monotonic() < deadline:
			time.sleep(0.1)
		self.assertIsNone(pool.peek(site.name))
		self.assertFalse(first.transport.is_active())
		# its local port closed with it (tests/test_tunnel_isolation.py); asking again reopens both
		self.assertFalse(tunnels.serving(first_url, pool))
		self.assertEqual(self.remote_get(site, "ping", pool).json()["message"], "pong")
		self.assertEqual(pool.opened, 2)
		pool.close()

	def test_an_open_but_quiet_connection_does_not_hold_an_idle_tunnel_open(self):
		pool = tunnels.TunnelPool(idle_timeout=0.5)
		site = self.make_site("keepalive", timeout=1)
		# the database port: MariaDB greets, then waits for a login that never comes
		port = tunnels.forward(site, "127.0.0.1", 3306, pool)
		quiet = socket.create_connection(("127.0.0.1", port), timeout=5)
		try:
			self.assertTrue(quiet.recv(1024))  # the server's greeting came through the tunnel
			tunnel = pool.peek(site.name)
			self.assertEqual(tunnel.active_channels, 1)
			deadline = time.monotonic() + 10
			while pool.peek(site.name) and time.monotonic() < deadline:
				time.sleep(0.1)
			self.assertIsNone(pool.peek(site.name))  # closed after idle_timeout + the site's timeout
			self.assertFalse(tunnel.transport.is_active())
		finally:
			quiet.close()


class TestTunnelDrops(TunnelTestCase):
	"""Kills its own sshd (the class's one is restarted on the same port and keys)."""

	def test_drop_mid_request_then_reopen(self):
		pool = tunnels.TunnelPool()
		site = self.make_site("drop")
		self.assertEqual(self.remote_get(site, "ping", pool).status_code, 200)
		# a request that takes ~4 s on the remote; sshd dies under it after 1 s
		killer = threading.Timer(1.0, self.sshd.kill)
		killer.start()
		started = time.monotonic()
		with self.assertRaises(requests.RequestException) as caught:
			self.remote_get(site, "whatsapp_chatbot.tests.long_task.slow_steps", pool, steps=4, seconds=1)
		killer.join()
		self.assertLess(time.monotonic() - started, 3.5)  # it broke off, it did not wait for the end
		reason = tunnels.explain(site, caught.exception, pool)
		self.assertIsInstance(reason, tunnels.TunnelDropped)
		# while it is gone, a request says so; once it is back, the next request opens it again
		with self.assertRaises((requests.ConnectionError, tunnels.TunnelError)) as again:
			self.remote_get(site, "ping", pool)
		self.assertIsInstance(tunnels.explain(site, again.exception, pool), tunnels.TunnelDropped)
		self.sshd.start()
		self.assertEqual(self.remote_get(site, "ping", pool).json()["message"], "pong")
		self.assertEqual(pool.opened, 2)
		pool.close()


class TestConnectionCheck(TunnelTestCase):
	def test_every_step_timed_with_a_key_entered_for_the_test(self):
		site = self.make_site("check")
		report = connection_check.run(site, self.remote_user["api_key"], self.remote_user["api_secret"])
		self.assertTrue(report.ok, report.summary())
		self.assertEqual([s.step for s in report.steps], ["tunnel", "site", "login"])
		self.assertEqual(report.user, self.remote_user["user"])
		self.assertIn(tunnels.fingerprint(tunnels.parse_host_key(self.sshd.host_key)), report.steps[0].detail)
		self.assertNotIn(self.remote_user["api_secret"], frappe.as_json(report.as_dict()))

	def test_the_button_method_reports_a_host_key_mismatch_and_keeps_it_on_the_site(self):
		from whatsapp_chatbot.api.remote_site import test_connection

		site = self.make_site("checkbad", ssh_host_key=generate_key("ed25519")[1])
		result = test_connection(site.name)
		self.assertFalse(result["ok"])
		self.assertEqual([(s["step"], s["ok"]) for s in result["steps"]], [("tunnel", False)])
		self.assertIn("host_key_mismatch", result["steps"][0]["detail"])
		self.assertIn("host_key_mismatch", frappe.db.get_value(SITE_DOCTYPE, site.name, "last_test_result"))

	def test_without_a_key_the_login_step_says_what_to_do(self):
		site = self.make_site("nokey")
		report = connection_check.run(site)
		self.assertEqual(
			[(s.step, s.ok) for s in report.steps], [("tunnel", True), ("site", True), ("login", False)]
		)
		self.assertIn("enter one", report.steps[-1].detail)

	def test_without_a_typed_key_the_managers_own_remote_access_logs_in(self):
		site = self.make_site("ownkey")
		manager = f.make_manager(f"tunnel-manager-{self.run_id}@example.com")
		contact = f.make_contact(f"5215{frappe.generate_hash(length=8)}", user=manager)
		access = frappe.get_doc(
			{
				"doctype": "Chatbot Remote Access",
				"contact": contact.name,
				"remote_site": site.name,
				"api_key": self.remote_user["api_key"],
				"api_secret": self.remote_user["api_secret"],
			}
		).insert(ignore_permissions=True)
		frappe.set_user(manager)
		try:
			report = connection_check.run(site)
		finally:
			frappe.set_user("Administrator")
			access.delete(ignore_permissions=True)
			contact.delete(ignore_permissions=True)
			frappe.db.commit()
		self.assertTrue(report.ok, report.summary())
		self.assertIn(f"Remote Access {access.name}", report.steps[-1].detail)
		self.assertEqual(report.user, self.remote_user["user"])

	def test_wrong_api_key_is_refused_at_login(self):
		site = self.make_site("badlogin")
		report = connection_check.run(site, "nope", "nope")
		self.assertEqual(report.steps[-1].step, "login")
		self.assertFalse(report.steps[-1].ok)

	def test_only_managers_may_test(self):
		from whatsapp_chatbot.api.remote_site import test_connection

		site = self.make_site("notmanager")
		user = f.make_user(f"not-manager-{self.run_id}@example.com", roles=("Stock User",))
		frappe.set_user(user)
		try:
			with self.assertRaises(frappe.PermissionError):
				test_connection(site.name)
		finally:
			frappe.set_user("Administrator")


class TestRemoteSiteValidation(TunnelTestCase):
	def test_unreadable_keys_are_refused_when_saved(self):
		with self.assertRaisesRegex(frappe.ValidationError, "not a valid ssh-ed25519 key"):
			self.make_site("badhostkey", ssh_host_key="ssh-ed25519 AAAAnotakey")
		with self.assertRaisesRegex(frappe.ValidationError, "private key could not be read"):
			self.make_site("badprivkey", ssh_private_key="-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n")
		# saved again without touching the key (the form sends asterisks): still valid
		site = self.make_site("resave")
		site.timeout = 12
		site.save(ignore_permissions=True)
		self.assertEqual(tunnels.TunnelConfig.from_site(site).private_key, self.sshd.client_key("ed25519"))
