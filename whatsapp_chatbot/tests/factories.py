"""Test factories: every `make_*` of the app's tests lives here (Helpdesk's test_utils model).

Also the helpers that stand between a test and the outside: signed webhook bodies, the webhook
called in-process with a real werkzeug request, and `run_jobs`, which takes the app's jobs off the
real RQ queue and runs them the way a worker would (same method, same arguments, same user).
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path

import frappe
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from whatsapp_chatbot.channel import signature
from whatsapp_chatbot.tests import children
from whatsapp_chatbot.tests.fake_graph import FakeGraph

try:  # Frappe v16 renamed the base class
	from frappe.tests import IntegrationTestCase as _SiteTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as _SiteTestCase
from whatsapp_chatbot.permissions import CHAT_ROLE, MANAGER_ROLE

SAMPLES = Path(__file__).resolve().parent / "samples"
APP_SECRET = "test-app-secret-0123456789"
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "test-access-token-abcdef"
PHONE_NUMBER_ID = "106540352242922"
BUSINESS_ACCOUNT_ID = "102290129340398"
APP_DOCTYPES = (
	"Chatbot Approval",
	"Chatbot Subscription",
	"Chatbot Command",
	"Chatbot Status Event",
	"Chatbot Message",
	"Chatbot Conversation",
	"Chatbot Contact",
)
JOB_PREFIX = "whatsapp_chatbot:"


def make_settings(graph_base_url: str, **values) -> None:
	"""Configure the single Settings for tests, pointing the Graph client at a fake server."""
	settings = frappe.get_single("WhatsApp Chatbot Settings")
	settings.update(
		{
			"enabled": 1,
			"phone_number_id": PHONE_NUMBER_ID,
			"business_account_id": BUSINESS_ACCOUNT_ID,
			"graph_api_base_url": graph_base_url,
			"graph_api_version": "v25.0",
			"access_token": ACCESS_TOKEN,
			"app_secret": APP_SECRET,
			"verify_token": VERIFY_TOKEN,
			"unknown_contact_reply": "",
			"waiting_template": None,
			"notification_template": None,
			"openai_api_key": "",
			"max_send_attempts": 4,
			"inline_retry_seconds": 1,
			"graph_timeout": 5,
			"stale_after_seconds": 180,
			"lock_timeout_seconds": 30,
			"access_token_invalid_since": None,
			"default_language": None,
			"daily_token_budget": 0,
			"max_tool_steps": 4,
			"confirmation_minutes": 10,
			"model_prices": [],
			"long_row_threshold": 500,
			"long_job_timeout": 1500,
			"progress_steps": "25,50,75",
			"progress_interval_seconds": 30,
			# pictures and PDFs in (test_media sets its own)
			"max_media_mb": 16,
			"media_window_minutes": 30,
			"scan_pages": 3,
			"vision_model": "",
			"image_detail": "auto",
			"bill_expense_item": None,
		}
	)
	settings.update(values)
	settings.save(ignore_permissions=True)
	frappe.db.commit()


@contextmanager
def new_users_allowed():
	"""Frappe refuses a new User once the site made `throttle_user_limit` (60) in the last hour,
	whoever made them. Tests and benchmarks make users in many processes (the test run, `bench
	execute` on the remote site, benchmarks) and a suite run alone makes dozens: whatever inserts
	one lifts the limit around that insert, in its own process, so no run depends on the others."""
	conf = frappe.local.conf
	previous = conf.get("throttle_user_limit")
	conf.throttle_user_limit = 10**9
	try:
		yield
	finally:
		if previous is None:
			conf.pop("throttle_user_limit", None)
		else:
			conf.throttle_user_limit = previous


def make_user(email: str, roles=(CHAT_ROLE,), language: str | None = None, enabled: int = 1) -> str:
	if not frappe.db.exists("User", email):
		with new_users_allowed():
			frappe.get_doc(
				{
					"doctype": "User",
					"email": email,
					"first_name": email.split("@")[0],
					"send_welcome_email": 0,
				}
			).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.enabled = enabled
	user.language = language
	user.set("roles", [])
	user.save(ignore_permissions=True)
	if roles:
		user.add_roles(*roles)
	frappe.db.commit()
	return email


def make_chat_user(email: str, roles=(), company: str | None = None, language: str | None = None) -> str:
	"""A WhatsApp Chatbot User with ERPNext roles and a default company (as a new employee has)."""
	make_user(email, roles=(CHAT_ROLE, *roles), language=language)
	if company:
		# ERPNext reads the user default "Company" from the scrubbed key, as the Desk session sets it
		frappe.defaults.clear_user_default("Company", email)
		frappe.defaults.set_user_default("company", company, email)
	frappe.db.commit()
	return email


def make_manager(email: str = "chatbot-manager@example.com") -> str:
	return make_user(email, roles=(MANAGER_ROLE,))


def make_contact(wa_id: str | None, user: str | None = None, user_id: str | None = None, **values):
	contact = frappe.get_doc(
		{
			"doctype": "Chatbot Contact",
			"wa_id": wa_id,
			"user_id": user_id,
			"user": user,
			"profile_name": f"Test {wa_id or user_id}",
			"enabled": 1,
		}
	)
	contact.update(values)
	contact.insert(ignore_permissions=True)
	frappe.db.commit()
	return contact


def make_template(
	name: str,
	language: str,
	components: list,
	parameter_format: str = "Positional",
	status: str = "APPROVED",
	category: str = "UTILITY",
	graph=None,
) -> str:
	"""A Chatbot Template as a sync from Meta leaves it (its name `{name}-{language}`); with `graph`
	(the stand-in), Meta's side holds the same template and checks every send against it. Callers
	use a name unique to their run and delete the row after (templates are what users pick from)."""
	if graph is not None:
		graph.templates.add_template(
			BUSINESS_ACCOUNT_ID,
			name,
			language,
			components,
			category=category,
			parameter_format=parameter_format.upper(),
			status=status,
		)
	doc = frappe.get_doc(
		{
			"doctype": "Chatbot Template",
			"template_name": name,
			"language": language,
			"category": category,
			"parameter_format": parameter_format,
			"status": status,
			"components": json.dumps(components, ensure_ascii=False),
			"business_account_id": BUSINESS_ACCOUNT_ID,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


def make_waiting_template(graph, language: str = "es") -> str:
	"""A waiting template of this run, at Meta (the stand-in) and synced, set in the Settings.
	`forget_template` removes it."""
	from whatsapp_chatbot.message_templates import standard

	# the app's own "messages waiting" template (as Meta holds it once approved), under a run's name
	components = standard.definition(standard.WAITING, language)["components"]
	name = make_template(
		f"wcb_waiting_{frappe.generate_hash(length=8)}", language, components, "Named", graph=graph
	)
	frappe.db.set_single_value("WhatsApp Chatbot Settings", "waiting_template", name)
	frappe.db.commit()
	return name


def forget_template(name: str) -> None:
	"""Remove a test's Chatbot Template (the messages linking to it are the test's and go with clean())."""
	if frappe.db.get_single_value("WhatsApp Chatbot Settings", "waiting_template") == name:
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "waiting_template", None)
	frappe.db.delete("Chatbot Template", name)
	frappe.db.commit()


def make_subscription(contact, command: str, arguments: dict | None = None, due=None, **values):
	"""A Chatbot Subscription of the contact's User (Daily at 8:00 unless `values` say otherwise),
	validated as the Desk saves one; `due` puts its next run there (the past: due now)."""
	doc = frappe.get_doc(
		{
			"doctype": "Chatbot Subscription",
			"contact": contact.name,
			"command": command,
			"arguments": json.dumps(arguments or {}),
			"frequency": "Daily",
			"send_at": "08:00:00",
			**values,
		}
	).insert(ignore_permissions=True)
	if due is not None:
		doc.db_set("next_run_at", due)
	frappe.db.commit()
	return doc


# -- webhook bodies ----------------------------------------------------------------------------


def envelope(value: dict) -> dict:
	value = {
		"messaging_product": "whatsapp",
		"metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
		**value,
	}
	return {
		"object": "whatsapp_business_account",
		"entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
	}


def text_webhook(
	text: str,
	wa_id: str | None = "5215512345678",
	wamid: str | None = None,
	user_id: str | None = None,
	name: str = "Cliente",
) -> dict:
	message = {
		"id": wamid or f"wamid.TEST{frappe.generate_hash(length=16)}",
		"timestamp": str(int(time.time())),
		"type": "text",
		"text": {"body": text},
	}
	contact = {"profile": {"name": name}}
	if wa_id:
		message["from"] = wa_id
		contact["wa_id"] = wa_id
	if user_id:
		message["from_user_id"] = user_id
		contact["user_id"] = user_id
	return envelope({"contacts": [contact], "messages": [message]})


def template_button_webhook(payload: str, text: str = "OK", wa_id: str = "5215512345678") -> dict:
	"""A quick-reply button of a template, pressed: `type: button` with its payload (PROTOCOLS A8)."""
	body = text_webhook("", wa_id=wa_id)
	message = body["entry"][0]["changes"][0]["value"]["messages"][0]
	message.pop("text")
	message["type"] = "button"
	message["button"] = {"payload": payload, "text": text}
	return body


def status_webhook(
	wamid: str,
	status: str,
	recipient: str = "5215512345678",
	error_code: int | None = None,
	timestamp: int | None = None,
) -> dict:
	update = {
		"id": wamid,
		"status": status,
		"timestamp": str(timestamp or int(time.time())),
		"recipient_id": recipient,
	}
	if error_code:
		update["errors"] = [
			{
				"code": error_code,
				"title": f"error {error_code}",
				"message": f"error {error_code}",
				"error_data": {"details": "from the test"},
			}
		]
	return envelope({"statuses": [update]})


def sample(name: str, fresh: bool = True) -> dict:
	"""A sample from shared/webhook-samples; `fresh` moves its timestamps to now, since Meta's
	24-hour window is computed from them. Samples captured on other business numbers are addressed
	to the test's number, as Meta addresses what it delivers to the number in the Settings."""
	body = json.loads((SAMPLES / name).read_text())
	for entry in body["entry"]:
		for change in entry["changes"]:
			metadata = (change.get("value") or {}).get("metadata")
			if isinstance(metadata, dict):
				metadata["phone_number_id"] = PHONE_NUMBER_ID
	if fresh:
		for entry in body["entry"]:
			for change in entry["changes"]:
				for item in change["value"].get("messages", []) + change["value"].get("statuses", []):
					item["timestamp"] = str(int(time.time()))
	return body


def signed(body: dict | bytes, secret: str = APP_SECRET) -> tuple[bytes, dict]:
	raw = body if isinstance(body, bytes) else json.dumps(body).encode()
	return raw, {"Content-Type": "application/json", signature.HEADER: signature.sign(secret, raw)}


def call_webhook(
	method: str = "POST",
	body: bytes | dict | None = None,
	headers: dict | None = None,
	query: dict | None = None,
):
	"""Call the whitelisted webhook in-process with a real werkzeug request, as Guest."""
	from whatsapp_chatbot.api import webhook

	if isinstance(body, dict):
		body, signed_headers = signed(body)
		headers = {**signed_headers, **(headers or {})}
	builder = EnvironBuilder(
		path="/api/method/whatsapp_chatbot.api.webhook",
		method=method,
		data=body,
		headers=headers or {},
		query_string=query,
	)
	had_request, previous_request = hasattr(frappe.local, "request"), getattr(frappe.local, "request", None)
	previous_user = frappe.session.user
	frappe.local.request = Request(builder.get_environ())
	frappe.set_user("Guest")
	try:
		response = webhook()
		frappe.db.commit()  # as Frappe's request handler does for a POST that did not raise
		return response
	finally:
		# jobs never have a request: leave none behind (code checks hasattr(frappe.local, "request"))
		if had_request:
			frappe.local.request = previous_request
		else:
			del frappe.local.request
		frappe.set_user(previous_user)


# -- jobs ------------------------------------------------------------------------------------


def queued_jobs(queue: str = "short") -> list:
	from frappe.utils.background_jobs import get_queue

	# the app's jobs of this site (long commands use the command's name as job id)
	site = f"{frappe.local.site}::"
	return [
		job
		for job in get_queue(queue).get_jobs()
		if job.id.startswith(site)
		and str((job.kwargs or {}).get("method", "")).startswith(JOB_PREFIX[:-1] + ".")
	]


def run_jobs(max_rounds: int = 200, queues=("short", "long")) -> list[str]:
	"""Run the app's queued jobs in-process, oldest first, until none is left; returns their ids."""
	ran = []
	for _ in range(max_rounds):
		jobs = [job for queue in queues for job in queued_jobs(queue)]
		if not jobs:
			return ran
		job = jobs[0]
		job_args = job.kwargs
		job.delete()
		user = frappe.session.user
		frappe.set_user(job_args["user"])
		try:
			frappe.get_attr(job_args["method"])(**job_args["kwargs"])
			frappe.db.commit()  # what the worker does when a job returns
		finally:
			frappe.set_user(user)
		ran.append(job.id)
	raise AssertionError("jobs keep enqueueing jobs")


def clear_jobs() -> None:
	for queue in ("short", "default", "long"):
		for job in queued_jobs(queue):
			job.delete()


def clean() -> None:
	"""Remove what the app's tests write (they commit, as webhooks and jobs do)."""
	for doctype in APP_DOCTYPES:
		frappe.db.delete(doctype)
	frappe.db.delete("Error Log", {"method": ("like", "%WhatsApp%")})
	frappe.db.delete("Notification Log", {"document_type": "WhatsApp Chatbot Settings"})
	from whatsapp_chatbot.channel.locks import redis

	client = redis()
	for key in client.keys(client.make_key("whatsapp_chatbot:*")):
		client.delete(key)
	clear_jobs()
	frappe.db.commit()


def rows(direction: str | None = None, **filters) -> list:
	if direction:
		filters["direction"] = direction
	return frappe.get_all("Chatbot Message", filters=filters, fields=["*"], order_by="creation asc")


def settled(wa_id: str, timeout: float = 30.0) -> None:
	"""Wait until the contact's messages are processed and the answers sent. RQ queues are shared by
	every site of the bench: another test's worker may take this site's job before run_jobs does,
	and then the answer comes from that process."""
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		frappe.db.rollback()  # a fresh snapshot of what the other process committed
		busy = frappe.db.count(
			"Chatbot Message", {"wa_id": wa_id, "status": ("in", ("Received", "Processing", "Sending"))}
		) or frappe.db.count(  # a reply queued for now, not one backing off until later
			"Chatbot Message", {"wa_id": wa_id, "status": "Queued", "next_attempt_at": ("is", "not set")}
		)
		if not busy:
			return
		time.sleep(0.2)
	raise AssertionError(f"messages of {wa_id} still pending after {timeout} s")


class ChatbotTestCase(_SiteTestCase):
	"""A site test with the fake Graph server running and the Settings pointing at it.

	The app commits (webhooks and jobs do), so each test starts from a clean slate instead of
	relying on the runner's rollback.
	"""

	settings: dict = {}

	@classmethod
	def setUpClass(cls):
		# what the class starts is stopped even when its set-up fails half-way (tearDownClass is
		# then never called; class cleanups are)
		cls.addClassCleanup(children.stop_since, children.mark())
		super().setUpClass()
		cls.graph = FakeGraph(access_token=ACCESS_TOKEN).start()

	@classmethod
	def tearDownClass(cls):
		cls.graph.stop()
		clean()
		super().tearDownClass()

	def setUp(self):
		clean()
		self.graph.reset()
		make_settings(self.graph.base_url, **self.settings)
		frappe.set_user("Administrator")

	def post(self, body: dict):
		response = call_webhook("POST", body)
		self.assertEqual(response.status_code, 200, response.get_data(as_text=True))
		return response


class InterpreterTestCase(ChatbotTestCase):
	"""ChatbotTestCase plus the fake OpenAI server and the ERPNext test data.

	Users: `sales` (Sales User, Sales Master Manager, Stock User, Accounts User) and `storekeeper` (Stock User only),
	each with a WhatsApp contact, both working for the test company."""

	MX, US = "5215511112222", "15550001111"
	STORE_MX = "5215533334444"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		from whatsapp_chatbot.tests.erpnext_data import make_erpnext_data
		from whatsapp_chatbot.tests.fake_openai import FakeOpenAI

		cls.facts = make_erpnext_data()
		cls.openai = FakeOpenAI().start()
		cls.sales = make_chat_user(
			"chatbot-ventas@example.com",
			("Sales User", "Sales Master Manager", "Stock User", "Accounts User"),
			cls.facts.company,
		)
		cls.storekeeper = make_chat_user("chatbot-almacen@example.com", ("Stock User",), cls.facts.company)

	@classmethod
	def tearDownClass(cls):
		cls.openai.stop()
		super().tearDownClass()

	def setUp(self):
		self.settings = {
			"openai_api_key": "sk-test-key",
			"openai_base_url": self.openai.base_url,
			"openai_model": "gpt-4.1-mini",
			"openai_timeout": 5,
			"history_turns": 4,
			**type(self).settings,
		}
		super().setUp()
		self.openai.reset()
		self.sales_contact = make_contact(self.MX, user=self.sales)
		self.sales_contact_en = make_contact(self.US, user=self.sales, language="en")
		self.store_contact = make_contact(self.STORE_MX, user=self.storekeeper)

	def say(self, text: str, wa_id: str | None = None) -> list[dict]:
		"""Send `text` from a contact through the webhook, run the jobs, return what reached Meta."""
		before = len(self.graph.sent_messages())
		self.post(text_webhook(text, wa_id=wa_id or self.MX))
		run_jobs(queues=("short",))  # long commands wait on their queue until the test runs them
		settled(wa_id or self.MX)
		return self.graph.sent_messages()[before:]

	def press(self, button_id: str, wa_id: str | None = None, title: str = "Confirmar") -> list[dict]:
		before = len(self.graph.sent_messages())
		body = text_webhook("", wa_id=wa_id or self.MX)
		message = body["entry"][0]["changes"][0]["value"]["messages"][0]
		message.pop("text")
		message["type"] = "interactive"
		message["interactive"] = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
		self.post(body)
		run_jobs(queues=("short",))
		settled(wa_id or self.MX)
		return self.graph.sent_messages()[before:]

	@staticmethod
	def body(sent: dict) -> str:
		if sent["type"] == "text":
			return sent["text"]["body"]
		if sent["type"] == "interactive":
			return sent["interactive"]["body"]["text"]
		return json.dumps(sent.get(sent["type"]))

	@staticmethod
	def buttons(sent: dict) -> list[str]:
		return [b["reply"]["id"] for b in sent["interactive"]["action"]["buttons"]]

	def tools_offered(self, request_index: int = -1) -> set[str]:
		return {t["function"]["name"] for t in self.openai.requests[request_index].get("tools", [])}
