"""The Chatbot Remote Site form's Test connection button in real headless Chromium (tests/browser.py):
a manager tests a tunnelled site against a real sshd in front of remote.localhost, with a key typed
for the test, and sees each step timed; a pinned host key that does not match reads as such."""

from __future__ import annotations

import frappe

from whatsapp_chatbot.permissions import MANAGER_ROLE
from whatsapp_chatbot.tests.browser import BrowserTestCase, make_desk_user
from whatsapp_chatbot.tests.processes import WebServer
from whatsapp_chatbot.tests.remote_fixture import tunnel_values
from whatsapp_chatbot.tests.remote_users import REMOTE_SITE, on_site, skip_unless_remote
from whatsapp_chatbot.tests.sshd import SSHServer, generate_key

RUN = frappe.generate_hash(length=6)
SITE_DOCTYPE = "Chatbot Remote Site"


class TestRemoteSiteForm(BrowserTestCase):
	@classmethod
	def setUpClass(cls):
		skip_unless_remote(sshd=True)
		super().setUpClass()
		cls.remote_web = WebServer(workers=1, name="remote-web-form").start()
		cls.sshd = SSHServer([("127.0.0.1", cls.remote_web.port)]).start()
		cls.key = on_site(
			REMOTE_SITE,
			"whatsapp_chatbot.tests.remote_users.make_api_user",
			email=f"form-test-{RUN}@example.com",
			roles=["Stock User"],
		)
		cls.manager = make_desk_user("chatbot-remote-manager", (MANAGER_ROLE,))
		cls.browser.login(cls.manager)

	@classmethod
	def tearDownClass(cls):
		on_site(REMOTE_SITE, "whatsapp_chatbot.tests.remote_users.drop_user", email=cls.key["user"])
		cls.sshd.cleanup()
		cls.remote_web.stop()
		frappe.db.delete(SITE_DOCTYPE, {"site_name": ("like", f"%{RUN}")})
		frappe.db.commit()
		super().tearDownClass()

	def make_site(self, label: str, **values) -> str:
		doc = frappe.get_doc(
			{
				"doctype": SITE_DOCTYPE,
				"site_name": f"{label}-{RUN}",
				"base_url": f"http://{REMOTE_SITE}:{self.remote_web.port}",
				"enabled": 1,
				"timeout": 10,
				**tunnel_values(self.sshd, self.remote_web.port),
				**values,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name

	def run_test_button(self, site: str, api_key: str = "", api_secret: str = ""):
		page = self.browser.open(
			f"/app/chatbot-remote-site/{site}", ready="button:has-text('Test connection')"
		)
		page.click("button:has-text('Test connection')")
		dialog = self.browser.wait_for(".modal.show .modal-dialog:has-text('Test connection to')")
		dialog.query_selector("input[data-fieldname='api_key']").fill(api_key)
		dialog.query_selector("input[data-fieldname='api_secret']").fill(api_secret)
		dialog.query_selector(".btn-primary:has-text('Test')").click()
		return self.browser.wait_for(".modal.show .chatbot-remote-site-test", timeout=60)

	def steps(self) -> list[list[str]]:
		return self.browser.page.eval_on_selector_all(
			".modal.show .chatbot-remote-site-test tr",
			"rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.textContent.trim()))",
		)

	def test_every_step_passes_with_a_key_typed_for_the_test(self):
		site = self.make_site("formok")
		self.run_test_button(site, self.key["api_key"], self.key["api_secret"])
		title = self.browser.page.text_content(".modal.show .modal-title")
		steps = self.steps()
		self.browser.screenshot("remote-site-test-connection-ok")
		self.assertEqual(title.strip(), "Connection works", steps)
		self.assertEqual([s[0] for s in steps], ["✔ tunnel", "✔ site", "✔ login"])
		self.assertIn("as pinned", steps[0][1])
		self.assertIn(self.key["user"], steps[2][1])
		self.assertTrue(all(s[2].endswith(" ms") for s in steps))
		self.assertNotIn(self.key["api_secret"], self.browser.page.content())
		self.assertIn("OK login", frappe.db.get_value(SITE_DOCTYPE, site, "last_test_result"))

	def test_a_host_key_mismatch_is_shown_as_such(self):
		site = self.make_site("formbad", ssh_host_key=generate_key("ed25519")[1])
		self.run_test_button(site)
		title = self.browser.page.text_content(".modal.show .modal-title")
		steps = self.steps()
		self.browser.screenshot("remote-site-test-connection-host-key-mismatch")
		self.assertEqual(title.strip(), "Connection failed")
		self.assertEqual([s[0] for s in steps], ["✘ tunnel"])
		self.assertIn("host_key_mismatch", steps[0][1])
		self.assertIn("Refusing to connect", steps[0][1])
