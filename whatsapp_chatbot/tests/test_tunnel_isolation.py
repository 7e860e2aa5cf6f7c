"""A tunnel's local ports serve this process only, and only while the tunnel is open: another local
process (here a subprocess doing a plain HTTP GET, as any program on the machine or a PDF renderer
fetching a URL could) is cut off before anything reaches the remote, and a port closes with its SSH
connection (idle close, drop, closing the pool). Real OpenSSH (tests/sshd.py) in front of the
remote site's gunicorn; sshd's log shows whether a channel was opened."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import requests

from whatsapp_chatbot.executors import tunnels
from whatsapp_chatbot.tests.test_tunnels import REMOTE, TunnelTestCase

# a plain GET from another process; prints what came back
OTHER_PROCESS_GET = """
import sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/api/method/ping", headers={"Host": sys.argv[2]})
try:
    with urllib.request.urlopen(request, timeout=10) as answer:
        print("ANSWERED", answer.status, answer.read()[:100])
except Exception as error:
    print("REFUSED", type(error).__name__, error)
"""


def other_process_get(url: str) -> str:
	done = subprocess.run(
		[sys.executable, "-c", OTHER_PROCESS_GET, url, REMOTE], capture_output=True, text=True, timeout=30
	)
	return done.stdout.strip() or done.stderr.strip()


def accepts(port: int) -> bool:
	try:
		with socket.create_connection(("127.0.0.1", port), timeout=2):
			return True
	except OSError:
		return False


class IsolationCase(TunnelTestCase):
	def pool(self, **kwargs):
		pool = tunnels.TunnelPool(**kwargs)
		self.addCleanup(pool.close)
		return pool

	def wait_closed(self, pool, site, timeout: float = 10):
		deadline = time.monotonic() + timeout
		while pool.peek(site.name) and time.monotonic() < deadline:
			time.sleep(0.1)
		self.assertIsNone(pool.peek(site.name))

	def ping(self, url: str, host: str) -> int:
		return requests.get(f"{url}/api/method/ping", headers={"Host": host}, timeout=10).status_code


class TestForwardsServeThisProcessOnly(IsolationCase):
	def test_another_process_is_cut_off_before_the_remote_our_client_is_served(self):
		pool = self.pool()
		site = self.make_site("other")
		url, host = tunnels.endpoint(site, pool)
		channels = len(self.sshd.forwarded_channels(self.web.port))
		answer = other_process_get(url)
		self.assertTrue(answer.startswith("REFUSED"), answer)
		self.assertEqual(len(self.sshd.forwarded_channels(self.web.port)), channels)  # nothing went out
		# our own requests, on the same port, go through
		ping = requests.get(f"{url}/api/method/ping", headers={"Host": host}, timeout=10)
		self.assertEqual(ping.json()["message"], "pong")
		self.assertEqual(len(self.sshd.forwarded_channels(self.web.port)), channels + 1)
		self.assertEqual([f.refused for f in pool.forwards(site.name)], [1])

	def test_the_database_port_is_ours_too(self):
		pool = self.pool()
		site = self.make_site("otherdb")
		port = tunnels.forward(site, "127.0.0.1", 3306, pool)
		channels = len(self.sshd.forwarded_channels(3306))
		probe = (
			"import socket, sys\n"
			"s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)\n"
			"try:\n    print('GREETING' if s.recv(1024) else 'CLOSED')\n"
			"except OSError as e:\n    print('CLOSED', e)\n"
		)
		done = subprocess.run(
			[sys.executable, "-c", probe, str(port)], capture_output=True, text=True, timeout=30
		)
		self.assertTrue(done.stdout.startswith("CLOSED"), done.stdout + done.stderr)
		self.assertEqual(len(self.sshd.forwarded_channels(3306)), channels)
		with socket.create_connection(("127.0.0.1", port), timeout=10) as ours:
			self.assertTrue(ours.recv(1024))  # MariaDB's greeting, through the tunnel

	def test_a_port_closes_with_its_idle_tunnel(self):
		pool = self.pool(idle_timeout=0.5)
		site = self.make_site("idleports")
		url, host = tunnels.endpoint(site, pool)
		port = int(url.rsplit(":", 1)[1])
		self.assertEqual(self.ping(url, host), 200)
		self.wait_closed(pool, site)
		self.assertFalse(accepts(port))
		self.assertFalse(tunnels.serving(url, pool))
		# the next request asks for the current port: a new connection and a new port
		url, host = tunnels.endpoint(site, pool)
		self.assertEqual(self.ping(url, host), 200)
		self.assertEqual(pool.opened, 2)

	def test_closing_the_pool_closes_every_port(self):
		pool = self.pool()
		site = self.make_site("closeports")
		ports = [
			int(tunnels.endpoint(site, pool)[0].rsplit(":", 1)[1]),
			tunnels.forward(site, "127.0.0.1", 3306, pool),
		]
		self.assertTrue(all(accepts(p) for p in ports))
		pool.close()
		self.assertEqual([accepts(p) for p in ports], [False, False])


class TestForwardsCloseWhenTheTunnelDrops(IsolationCase):
	"""Kills its own sshd (restarted for the next test on the same port and keys)."""

	def test_a_port_closes_when_its_tunnel_drops(self):
		pool = self.pool()
		site = self.make_site("dropports")
		url, host = tunnels.endpoint(site, pool)
		port = int(url.rsplit(":", 1)[1])
		self.assertEqual(self.ping(url, host), 200)
		self.sshd.kill()
		deadline = time.monotonic() + 20  # paramiko notices the dead connection; the janitor closes it
		while accepts(port) and time.monotonic() < deadline:
			time.sleep(0.2)
		self.assertFalse(accepts(port))
		self.assertIsInstance(tunnels.explain(site, None, pool), tunnels.TunnelDropped)
		self.sshd.start()
		url, host = tunnels.endpoint(site, pool)
		self.assertEqual(self.ping(url, host), 200)
