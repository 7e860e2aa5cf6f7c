"""Browser test harness: the Desk in real headless Chromium, against the site served by gunicorn,
with Frappe's Socket.IO server running so realtime reaches the page.

What runs:
- gunicorn on a free loopback port serving `tests/browser_wsgi.py` (Frappe's application pinned to
  the test site, with /assets and /files) and DEV_SERVER=1, which makes the Desk connect to the
  Socket.IO server on `socketio_port` (common_site_config) as under `bench start`, instead of its
  own origin (where nginx would proxy in production);
- Frappe's Socket.IO server (`node apps/frappe/socketio.js`, processes.SocketIOServer), started
  only if it is not running (it serves every site of the bench) and stopped at the end only if we
  started it and no other client is connected to it;
- Debian's Chromium (/usr/bin/chromium) driven by Playwright for Python, headless, no download.

The page is opened at http://127.0.0.1:PORT and sends `X-Frappe-Site-Name` with every request:
Socket.IO takes the site from that header (the namespace must equal the site name), checks that
Host and Origin name the same host (127.0.0.1) and calls the Origin back to authenticate the
session cookie, which the pinned gunicorn answers for the test site.

Screenshots go to `sites/test-output/whatsapp_chatbot/<site>/` in the bench (printed by each test).
Without Chromium, Playwright or node, `BrowserTestCase` skips with the reason, and prints a line
starting with SKIP_MARKER that .ci/run counts.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import unittest

import frappe
from frappe.utils.password import update_password

from whatsapp_chatbot.tests import children, factories
from whatsapp_chatbot.tests.processes import SocketIOServer, WebServer, sites_path

CHROMIUM = "/usr/bin/chromium"
SKIP_MARKER = "WHATSAPP_CHATBOT_BROWSER_TESTS_SKIPPED:"
PASSWORD = "Browser-Test-Pa55word!"


def unavailable() -> str | None:
	"""Why the browser tests cannot run here, or None."""
	try:
		import playwright.sync_api
	except ImportError:
		return "Playwright for Python is not installed in the bench env (./env/bin/pip install playwright)"
	if not os.access(CHROMIUM, os.X_OK):
		return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
	if not shutil.which("node"):
		return "node is not installed: Frappe's Socket.IO server cannot run"
	if not os.path.exists(socketio_script()):
		return f"{socketio_script()} is missing"
	return None


def bench_path() -> str:
	return os.path.abspath(os.path.join(sites_path(), ".."))


def socketio_script() -> str:
	return os.path.join(bench_path(), "apps", "frappe", "socketio.js")


def output_dir() -> str:
	path = os.path.join(sites_path(), "test-output", "whatsapp_chatbot", frappe.local.site)
	os.makedirs(path, exist_ok=True)
	return path


class DeskServer(WebServer):
	"""gunicorn serving the Desk of this site (statics included) for the browser."""

	def __init__(self, workers: int = 2):
		super().__init__(workers=workers, name="desk")
		self.args[-1] = "whatsapp_chatbot.tests.browser_wsgi:application"
		self.env = {"DEV_SERVER": "1", "WHATSAPP_CHATBOT_TEST_SITE": self.site}


class Browser:
	"""One headless Chromium with one logged-in page."""

	def __init__(self, base_url: str, site: str, socketio: SocketIOServer | None = None):
		self.base_url = base_url
		self.site = site
		self.socketio = socketio
		self.console: list[str] = []
		self.screenshots: list[str] = []

	def start(self):
		from playwright.sync_api import sync_playwright

		children.prepare()  # Playwright's driver and Chromium inherit the mark of this run
		self._playwright = sync_playwright().start()
		self._browser = self._playwright.chromium.launch(
			executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
		)
		self.context = self._browser.new_context(
			base_url=self.base_url,
			viewport={"width": 1440, "height": 1000},
			extra_http_headers={"X-Frappe-Site-Name": self.site},
			locale="en-US",
		)
		self.context.set_default_timeout(30_000)
		self.page = self.context.new_page()
		self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
		self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
		return self

	def stop(self) -> None:
		for closing in (
			getattr(self, "context", None),
			getattr(self, "_browser", None),
			getattr(self, "_playwright", None),
		):
			if closing is None:
				continue
			try:
				closing.close() if hasattr(closing, "close") else closing.stop()
			except Exception:
				pass
		if getattr(self, "_playwright", None):
			try:
				self._playwright.stop()
			except Exception:
				pass

	def login(self, user: str, password: str = PASSWORD) -> None:
		"""Log in through Frappe's login method (the cookie lands in the browser context)."""
		response = self.context.request.post("/api/method/login", form={"usr": user, "pwd": password})
		if not response.ok:
			raise AssertionError(f"login as {user} failed: {response.status} {response.text()[:300]}")

	def open(self, route: str, ready: str | None = None):
		"""Open a Desk route (`/app/...`) and wait until the Desk has booted (and `ready` shows)."""
		if self.socketio is not None:
			self.socketio.start()  # another run may have stopped the one we were using
		self.page.goto(route if route.startswith("/") else f"/app/{route}")
		self.page.wait_for_function("() => window.frappe && frappe.boot && frappe.boot.sitename")
		if ready:
			self.wait_for(ready)
		return self.page

	def wait_for(self, selector: str, timeout: float = 30.0, state: str = "visible"):
		return self.page.wait_for_selector(selector, timeout=timeout * 1000, state=state)

	def wait_until(self, js_predicate: str, arg=None, timeout: float = 30.0):
		"""Wait until a JavaScript function of `arg` returns something truthy in the page."""
		return self.page.wait_for_function(js_predicate, arg=arg, timeout=timeout * 1000)

	def wait_for_realtime(self, timeout: float = 30.0) -> None:
		"""The Desk's Socket.IO client is connected (events published now will reach the page)."""
		self.wait_until(
			"() => frappe.realtime && frappe.realtime.socket && frappe.realtime.socket.connected",
			timeout=timeout,
		)

	def call(self, method: str, **args):
		"""Call a whitelisted method from the page, as the logged-in user (frappe.xcall)."""
		return self.page.evaluate("([m, a]) => frappe.xcall(m, a)", [method, args])

	def screenshot(self, name: str, settle: float = 1.0) -> str:
		"""A full-page PNG in output_dir(); `settle` seconds first, for chart animations."""
		if settle:
			self.page.wait_for_timeout(settle * 1000)
		path = os.path.join(output_dir(), f"{name}.png")
		self.page.screenshot(path=path, full_page=True)
		self.screenshots.append(path)
		print(f"screenshot: {path}")
		return path


def make_desk_user(prefix: str, roles) -> str:
	"""A Desk user with a password, unique per run."""
	email = f"{prefix}-{frappe.generate_hash(length=8)}@example.com"
	factories.make_user(email, roles=roles)
	update_password(email, PASSWORD)
	frappe.db.commit()
	return email


class BrowserTestCase(factories.ChatbotTestCase):
	"""A ChatbotTestCase with the Desk served, Socket.IO running and a browser open.

	Skipped, with the reason printed after SKIP_MARKER, when Chromium, Playwright or node is missing.
	"""

	web_workers = 2

	@classmethod
	def setUpClass(cls):
		reason = unavailable()
		if reason:
			print(f"{SKIP_MARKER} {reason}", file=sys.stderr)
			raise unittest.SkipTest(reason)
		super().setUpClass()
		cls.socketio = SocketIOServer().start()
		cls.web = DeskServer(workers=cls.web_workers).start()
		cls.browser = Browser(cls.web.base_url, frappe.local.site, cls.socketio).start()

	@classmethod
	def tearDownClass(cls):
		for name in ("browser", "web", "socketio"):
			if hasattr(cls, name):
				getattr(cls, name).stop()
		super().tearDownClass()

	def tearDown(self):
		if self._outcome_failed():
			self.browser.screenshot(f"FAILED-{self._testMethodName}", settle=0)
			print("browser console:\n" + "\n".join(self.browser.console[-40:]))
		super().tearDown()

	def _outcome_failed(self) -> bool:
		# Python >= 3.11 reports a failure to the result as soon as the test body ends
		result = getattr(getattr(self, "_outcome", None), "result", None)
		failed = [*getattr(result, "failures", []), *getattr(result, "errors", [])]
		return any(test is self for test, _ in failed)

	def post_webhook(self, body: dict):
		"""Deliver a signed webhook to the served site, as Meta does."""
		import requests

		raw, headers = factories.signed(body)
		response = requests.post(
			self.web.base_url + "/api/method/whatsapp_chatbot.api.webhook",
			data=raw,
			headers=self.web.headers(headers),
			timeout=30,
		)
		self.assertEqual(response.status_code, 200, response.text)
		return response


def dump(value) -> str:
	return json.dumps(value, indent=1, default=str)
