"""The bench's second site as a remote ERPNext for the remote-executor tests and benchmark.

`RemoteServer` serves remote.localhost with gunicorn on a free loopback port, pinned to that site
(as tests/browser_wsgi.py does for the Desk): Frappe's Socket.IO server authenticates a socket by
calling back its Origin, a bare 127.0.0.1:PORT address that names no site. The functions marked
"(on the remote)" run there through tests/remote_users.on_site, in a process of their own.
"""

from __future__ import annotations

import socket
import time
from http.server import BaseHTTPRequestHandler

import frappe
import requests

from whatsapp_chatbot.tests import definitions
from whatsapp_chatbot.tests.factories import InterpreterTestCase
from whatsapp_chatbot.tests.local_server import LocalServer
from whatsapp_chatbot.tests.processes import SocketIOServer, WebServer
from whatsapp_chatbot.tests.remote_users import REMOTE_SITE, on_site, skip_unless_remote

SOCKETIO_PORT = 9000
__all__ = ["SocketIOServer"]  # Frappe's Socket.IO server, as the remote-long tests and benchmark start it


class RemoteServer(WebServer):
	"""gunicorn serving one site only (REMOTE_SITE unless told), on 127.0.0.1:<free port>."""

	def __init__(self, workers: int = 2, site: str = REMOTE_SITE):
		super().__init__(workers=workers, name=f"pinned-web-{site}")
		self.site = site
		self.args[-1] = "whatsapp_chatbot.tests.browser_wsgi:application"  # the WSGI app pinned to one site
		self.env = {"WHATSAPP_CHATBOT_TEST_SITE": site}


REMOTE_ROLES = ["WhatsApp Chatbot User", "Sales User", "Stock User"]  # no Accounts role there


class Remote:
	"""What a test module shares (start_remote as its setUpModule): gunicorn for the remote, its
	data and a remote user with REMOTE_ROLES and an API key, made once per module: seconds each."""

	web = seeded = key = None
	suffix = frappe.generate_hash(length=6)
	email = f"norte-ventas-{suffix}@example.com"
	# the slow file command, on both sites under this run's name (the remote runs what we name)
	slow_file = f"archivo_lento_{suffix}"


def start_remote():
	skip_unless_remote()
	Remote.web = RemoteServer().start()
	try:
		Remote.seeded = remote("whatsapp_chatbot.tests.remote_fixture.seed", suffix=Remote.suffix)
		Remote.key = remote(
			"whatsapp_chatbot.tests.remote_users.make_api_user", email=Remote.email, roles=REMOTE_ROLES
		)
	except BaseException:  # setUpModule failed: tearDownModule will not run
		try:
			forget_slow_file_command()
		finally:
			Remote.web.stop()
		raise


def stop_remote():
	try:
		remote("whatsapp_chatbot.tests.remote_users.drop_user", email=Remote.email)
	finally:
		try:
			forget_slow_file_command()
		finally:
			if Remote.web:
				Remote.web.stop()
			drop_remote_config()


def forget_slow_file_command() -> None:
	"""The remote's slow file command goes with the run that defined it (/help lists it there)."""
	remote("whatsapp_chatbot.tests.definitions.remove", name=Remote.slow_file)


def drop_remote_config() -> None:
	frappe.db.delete("Chatbot Remote Access")
	frappe.db.delete("Chatbot Remote Site")
	frappe.db.commit()


class RemoteTestCase(InterpreterTestCase):
	"""The site `norte` here, pointing at the remote, that the Spanish sales contact may use with
	the remote user's key (the English contact of the same user and the storekeeper may not)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.web, cls.seeded, cls.key = Remote.web, Remote.seeded, Remote.key
		cls.suffix, cls.remote_email = Remote.suffix, Remote.email

	def setUp(self):
		super().setUp()
		drop_remote_config()
		self.site = make_remote_site("norte", self.web.base_url)
		grant(self.sales_contact.name, "norte", self.key)
		frappe.db.commit()


def ask_upstream(handler: BaseHTTPRequestHandler, url: str) -> tuple[bytes | None, requests.Response]:
	"""A proxy's request (method, body, headers but Host) sent on to `url`: the body and the answer."""
	body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) or None
	headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
	return body, requests.request(handler.command, url, data=body, headers=headers, timeout=60)


def answer_with(handler: BaseHTTPRequestHandler, answer: requests.Response) -> None:
	"""The upstream's answer written back to the proxy's client (length recomputed: requests
	already decoded any transfer or content encoding)."""
	handler.send_response(answer.status_code)
	for name, value in answer.headers.items():
		if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
			handler.send_header(name, value)
	handler.send_header("Content-Length", str(len(answer.content)))
	handler.end_headers()
	handler.wfile.write(answer.content)


class WithoutTheApp(BaseHTTPRequestHandler):
	"""In front of the real remote: everything passes through, except that calls to this app's
	methods go to a module that does not exist there, so the remote answers them exactly as a site
	without whatsapp_chatbot does."""

	upstream = ""  # the remote's base URL

	def _forward(self):
		path = self.path.replace("/api/method/whatsapp_chatbot.", "/api/method/whatsapp_chatbot_absent.")
		_body, answer = ask_upstream(self, self.upstream + path)
		answer_with(self, answer)

	do_GET = do_POST = _forward

	def log_message(self, *args):
		pass


def without_the_app(upstream: str) -> LocalServer:
	handler = type("Proxy", (WithoutTheApp,), {"upstream": upstream})
	return LocalServer(handler).start()


def listening(port: int) -> bool:
	with socket.socket() as sock:
		sock.settimeout(0.5)
		return sock.connect_ex(("127.0.0.1", port)) == 0


def make_remote_site(site_name: str, base_url: str, **values):
	"""(here) A Chatbot Remote Site."""
	return frappe.get_doc(
		{
			"doctype": "Chatbot Remote Site",
			"site_name": site_name,
			"base_url": base_url,
			"timeout": 10,
			**values,
		}
	).insert(ignore_permissions=True)


def tunnel_values(sshd, web_port: int) -> dict:
	"""Remote Site fields that reach the remote's web server through the test's sshd."""
	return {
		"use_ssh_tunnel": 1,
		"ssh_host": "127.0.0.1",
		"ssh_port": sshd.port,
		"ssh_user": sshd.user,
		"ssh_private_key": sshd.client_key("ed25519"),
		"ssh_host_key": sshd.host_key,
		"remote_host": "127.0.0.1",
		"remote_port": web_port,
	}


def grant(contact: str, site: str, key: dict, is_default: int = 0):
	"""(here) Let a contact act on a site with a remote user's key (make_api_user's answer)."""
	return frappe.get_doc(
		{
			"doctype": "Chatbot Remote Access",
			"contact": contact,
			"remote_site": site,
			"api_key": key["api_key"],
			"api_secret": key["api_secret"],
			"is_default": is_default,
		}
	).insert(ignore_permissions=True)


def seed(suffix: str) -> dict:
	"""(on the remote) A customer only the remote has, and the slow file-producing command."""
	company = (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)
	customer = f"Cliente Norte {suffix}"
	for name in (customer, f"Cliente Sur {suffix}"):
		if not frappe.db.exists("Customer", name):
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": name,
					"customer_group": frappe.get_all("Customer Group", filters={"is_group": 0}, pluck="name")[
						0
					],
					"territory": frappe.get_all("Territory", filters={"is_group": 0}, pluck="name")[0],
				}
			).insert(ignore_permissions=True)
	item = f"NORTE-{suffix}"
	if not frappe.db.exists("Item", item):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item,
				"item_name": f"Tornillo norte {suffix}",
				"item_group": frappe.get_all("Item Group", filters={"is_group": 0}, pluck="name")[0],
				"stock_uom": "Nos",
				"is_stock_item": 1,
			}
		).insert(ignore_permissions=True)
	definitions.insert(slow_file_command(f"archivo_lento_{suffix}"))  # stop_remote removes it
	frappe.db.commit()
	return {"customer": customer, "company": company, "item": item}


def define_slow_file_command(cleanup) -> str:
	"""(here) The slow file command under this run's name, as the remote has it: the model is offered
	this site's definitions. `cleanup` (a TestCase's addCleanup or addClassCleanup) removes it."""
	return definitions.define(cleanup, slow_file_command(Remote.slow_file))


def slow_file_command(name: str) -> dict:
	"""A long admin-defined command that reports progress and returns a file."""
	return {
		"command_name": name,
		"description": "A slow job that returns a file, for tests",
		"handler_type": "Whitelisted Method",
		"method": "whatsapp_chatbot.tests.remote_fixture.slow_file",
		"needs_confirmation": 0,
		"long_running": 1,
		"parameters": [
			{"parameter_name": "steps", "type": "integer", "required": 1, "description": "steps"},
			{"parameter_name": "seconds", "type": "number", "required": 1, "description": "s/step"},
		],
	}


@frappe.whitelist()
def slow_file(steps: int = 4, seconds: float = 0.5):
	"""Steps with progress, then a small CSV naming the site that made it."""
	from whatsapp_chatbot.realtime.progress import check_cancelled, report
	from whatsapp_chatbot.tools.registry import Result

	if not frappe.conf.allow_tests:
		frappe.throw("slow_file only runs on test sites")
	steps, seconds = int(steps), float(seconds)
	for step in range(1, steps + 1):
		check_cancelled()
		time.sleep(seconds)
		report(100 * step / steps, f"step {step}/{steps}")
	content = f"site,user,steps\n{frappe.local.site},{frappe.session.user},{steps}\n".encode()
	return Result(
		f"Done on {frappe.local.site}: {steps} steps.", attachment=("pasos.csv", content, "text/csv")
	)


@frappe.whitelist()
def publish_ping(name: str) -> float:
	"""A progress-shaped event to the caller's realtime room, published now (not after commit), with
	the time it left: the Socket.IO latency benchmark."""
	from whatsapp_chatbot.realtime.progress import EVENT

	published_at = time.time()
	message = {"name": name, "progress": 1, "note": "", "status": "Running", "published_at": published_at}
	frappe.publish_realtime(EVENT, message, user=frappe.session.user, after_commit=False)
	return published_at


def remote(method: str, **kwargs):
	"""Run one of this module's or remote_users' functions on the remote site."""
	return on_site(REMOTE_SITE, method, **kwargs)
