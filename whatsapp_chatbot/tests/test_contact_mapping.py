"""Who may map a WhatsApp number to which User (permissions.may_map), on every path: REST over
real HTTP (gunicorn), frappe.client as the user, Data Import, Link Staff and Remote Access rows; and
what a change of User leaves behind (nothing: the conversation is closed, pending work cancelled).

Real Users with their own roles, made per run: a chatbot manager (who also sells), a clerk with
fewer roles, a director with one role more than the manager, and a System Manager."""

import frappe
import requests
from frappe import client

from whatsapp_chatbot import texts
from whatsapp_chatbot.channel import staff
from whatsapp_chatbot.permissions import CHAT_ROLE, MANAGER_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, say
from whatsapp_chatbot.tests.processes import WebServer

RUN = frappe.generate_hash(length=6)
CONTACT, ACCESS = "Chatbot Contact", "Chatbot Remote Access"


def number() -> str:
	"""A fresh Mexican mobile number (wa_id and User.mobile_no are unique)."""
	return "52155" + str(int(frappe.generate_hash(length=8), 16) % 10**8).zfill(8)


def person(kind: str, roles: tuple) -> str:
	return f.make_user(f"chatbot-map-{kind}-{RUN}@example.com", roles=roles)


def api_keys(user: str) -> str:
	doc = frappe.get_doc("User", user)
	secret = frappe.generate_hash(length=15)
	doc.api_key = frappe.generate_hash(length=15)
	doc.api_secret = secret
	doc.save(ignore_permissions=True)
	frappe.db.commit()
	return f"token {doc.api_key}:{secret}"


def drop_users(*users: str) -> None:
	frappe.set_user("Administrator")
	for user in users:
		for name in frappe.get_all(CONTACT, filters={"user": user}, pluck="name"):
			frappe.delete_doc(CONTACT, name, ignore_permissions=True, force=True)
		if frappe.db.exists("User", user):
			frappe.delete_doc("User", user, ignore_permissions=True, force=True)
	frappe.db.commit()


class MappingTestCase(f.ChatbotTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = person("manager", (MANAGER_ROLE, CHAT_ROLE, "Sales User"))
		cls.clerk = person("clerk", (CHAT_ROLE, "Sales User"))
		cls.director = person("director", (CHAT_ROLE, "Sales User", "Accounts Manager"))
		cls.sysman = person("sysman", ("System Manager", CHAT_ROLE))
		cls.tokens = {cls.manager: api_keys(cls.manager), cls.sysman: api_keys(cls.sysman)}
		cls.web = WebServer(workers=1, name="contact-mapping").start()

	@classmethod
	def tearDownClass(cls):
		cls.web.stop()
		f.clean()
		drop_users(cls.manager, cls.clerk, cls.director, cls.sysman)
		super().tearDownClass()

	def tearDown(self):
		frappe.set_user("Administrator")

	def rest(self, user: str, method: str, path: str, **kwargs) -> requests.Response:
		"""A REST call to the site under gunicorn, authenticated as `user` by their API key."""
		response = requests.request(
			method,
			self.web.base_url + path,
			headers=self.web.headers({"Authorization": self.tokens[user], "Accept": "application/json"}),
			timeout=30,
			**kwargs,
		)
		frappe.db.rollback()  # see what the server committed
		return response

	def assertRefused(self, response: requests.Response):
		self.assertEqual(response.status_code, 403, response.text[:2000])
		self.assertIn("PermissionError", response.text)


class TestWhoMayMap(MappingTestCase):
	def test_manager_cannot_map_their_own_contact_to_someone_more_privileged(self):
		mine = f.make_contact(number(), user=self.manager)
		for target in (self.director, self.sysman):
			with self.subTest(target=target):
				self.assertRefused(
					self.rest(
						self.manager, "PUT", f"/api/resource/{CONTACT}/{mine.name}", json={"user": target}
					)
				)
				self.assertRefused(
					self.rest(
						self.manager,
						"POST",
						"/api/method/frappe.client.set_value",
						json={"doctype": CONTACT, "name": mine.name, "fieldname": "user", "value": target},
					)
				)
				self.assertEqual(frappe.db.get_value(CONTACT, mine.name, "user"), self.manager)

	def test_manager_cannot_create_a_contact_for_administrator_or_someone_more_privileged(self):
		for target in ("Administrator", self.director, self.sysman):
			with self.subTest(target=target):
				wa_id = number()
				self.assertRefused(
					self.rest(
						self.manager,
						"POST",
						f"/api/resource/{CONTACT}",
						json={"wa_id": wa_id, "user": target},
					)
				)
				frappe.set_user(self.manager)
				with self.assertRaises(frappe.PermissionError):
					client.insert({"doctype": CONTACT, "wa_id": wa_id, "user": target})
				frappe.set_user("Administrator")
				frappe.db.rollback()
				self.assertFalse(frappe.db.exists(CONTACT, {"wa_id": wa_id}))

	def test_manager_cannot_point_a_directors_contact_at_their_own_number(self):
		directors = f.make_contact(number(), user=self.director)
		own_number = number()
		self.assertRefused(
			self.rest(
				self.manager, "PUT", f"/api/resource/{CONTACT}/{directors.name}", json={"wa_id": own_number}
			)
		)
		frappe.set_user(self.manager)
		doc = frappe.get_doc(CONTACT, directors.name).as_dict()
		for field, value in (("wa_id", own_number), ("user_id", f"MX.{RUN}")):
			with self.subTest(field=field), self.assertRaises(frappe.PermissionError):
				client.save({**doc, field: value})
		frappe.set_user("Administrator")
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value(CONTACT, directors.name, ["wa_id", "user_id"]), (directors.wa_id, None)
		)

	def test_a_system_manager_maps_anyone_but_administrator(self):
		contact = f.make_contact(number(), user=self.sysman)
		path = f"/api/resource/{CONTACT}/{contact.name}"
		self.assertEqual(self.rest(self.sysman, "PUT", path, json={"user": self.director}).status_code, 200)
		self.assertEqual(frappe.db.get_value(CONTACT, contact.name, "user"), self.director)
		self.assertRefused(self.rest(self.sysman, "PUT", path, json={"user": "Administrator"}))
		self.assertEqual(frappe.db.get_value(CONTACT, contact.name, "user"), self.director)

	def test_a_manager_maps_users_with_fewer_roles_only(self):
		wa_id = number()
		made = self.rest(
			self.manager, "POST", f"/api/resource/{CONTACT}", json={"wa_id": wa_id, "user": self.clerk}
		)
		self.assertEqual(made.status_code, 200, made.text[:2000])
		self.assertEqual(frappe.db.get_value(CONTACT, {"wa_id": wa_id}, "user"), self.clerk)
		# the same contact given to the director (one role more than the manager) is refused
		name = made.json()["data"]["name"]
		self.assertRefused(
			self.rest(self.manager, "PUT", f"/api/resource/{CONTACT}/{name}", json={"user": self.director})
		)
		# and so is taking the director's contact for oneself
		directors = f.make_contact(number(), user=self.director)
		frappe.set_user(self.manager)
		with self.assertRaises(frappe.PermissionError):
			client.set_value(CONTACT, directors.name, "user", self.manager)

	def test_the_playground_goes_through_the_same_rule(self):
		from whatsapp_chatbot.api import playground

		frappe.set_user(self.sysman)  # may try as anyone they may map: never as Administrator
		with self.assertRaises(frappe.PermissionError):
			playground.start(user="Administrator")
		self.assertEqual(playground.start(user=self.director)["user"], self.director)


class TestRemoteAccessRows(MappingTestCase):
	def setUp(self):
		super().setUp()
		self.site = frappe.get_doc(
			{
				"doctype": "Chatbot Remote Site",
				"site_name": f"map-{RUN}",
				"base_url": "http://127.0.0.1:9",
			}
		)
		if frappe.db.exists("Chatbot Remote Site", self.site.site_name):
			self.site = frappe.get_doc("Chatbot Remote Site", self.site.site_name)
		else:
			self.site.insert(ignore_permissions=True)
		self.directors = f.make_contact(number(), user=self.director)
		self.mine = f.make_contact(number(), user=self.manager)
		self.row = frappe.get_doc(
			{
				"doctype": ACCESS,
				"contact": self.directors.name,
				"remote_site": self.site.name,
				"api_key": "director-key",
				"api_secret": "director-secret",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()

	def tearDown(self):
		super().tearDown()
		frappe.db.delete(ACCESS, {"remote_site": self.site.name})
		frappe.delete_doc("Chatbot Remote Site", self.site.name, ignore_permissions=True, force=True)
		frappe.db.commit()

	def test_a_manager_cannot_take_a_directors_remote_access(self):
		path = f"/api/resource/{ACCESS}/{self.row.name}"
		moved = self.rest(self.manager, "PUT", path, json={"contact": self.mine.name})
		self.assertNotEqual(moved.status_code, 200, moved.text[:2000])
		self.assertEqual(frappe.db.get_value(ACCESS, self.row.name, "contact"), self.directors.name)
		# nor change the director's row, nor add one to the director's contact
		self.assertRefused(self.rest(self.manager, "PUT", path, json={"api_key": "manager-key"}))
		self.assertRefused(
			self.rest(
				self.manager,
				"POST",
				f"/api/resource/{ACCESS}",
				json={
					"contact": self.directors.name,
					"remote_site": self.site.name,
					"api_key": "k",
					"api_secret": "s",
				},
			)
		)
		self.assertEqual(frappe.db.count(ACCESS, {"contact": self.directors.name}), 1)
		# a System Manager cannot move it either: a row stays with its contact
		frappe.set_user(self.sysman)
		with self.assertRaises(frappe.ValidationError):
			client.set_value(ACCESS, self.row.name, "contact", self.mine.name)
		# what the manager may do: a row for their own contact
		frappe.set_user("Administrator")
		own = self.rest(
			self.manager,
			"POST",
			f"/api/resource/{ACCESS}",
			json={
				"contact": self.mine.name,
				"remote_site": self.site.name,
				"api_key": "k",
				"api_secret": "s",
			},
		)
		self.assertEqual(own.status_code, 200, own.text[:2000])


class TestLinkStaffAndImport(MappingTestCase):
	def test_link_staff_lists_but_does_not_link_someone_more_privileged(self):
		numbers = {self.clerk: number(), self.director: number()}
		for user, wa_id in numbers.items():
			frappe.db.set_value("User", user, "mobile_no", f"+{wa_id}")
		frappe.db.commit()
		try:
			frappe.set_user(self.manager)
			rows = {row["user"]: row for row in staff.preview()["rows"] if row["user"] in numbers}
			self.assertEqual(rows[self.clerk]["action"], staff.CREATE)
			self.assertEqual(rows[self.director]["action"], "not_allowed")
			self.assertIn("System Manager", rows[self.director]["reason"])
			created = staff.link([self.clerk, self.director])
			frappe.db.commit()
			frappe.set_user("Administrator")
			self.assertEqual(
				frappe.get_all(CONTACT, filters={"name": ("in", created)}, pluck="user"), [self.clerk]
			)
			self.assertFalse(frappe.db.exists(CONTACT, {"user": self.director}))
		finally:
			frappe.set_user("Administrator")
			for user in numbers:
				frappe.db.set_value("User", user, "mobile_no", None)
			frappe.db.commit()

	def test_data_import_is_no_way_around_the_rule(self):
		"""Chatbot Contact and Remote Access do not allow Data Import (allow_import is off), so an
		import cannot map a number at all: were it ever turned on, the controllers' validate would
		still run (Frappe's importer inserts and saves without ignore_permissions)."""
		from frappe.core.doctype.data_import.data_import import form_start_import

		self.assertFalse(frappe.has_permission("Data Import", "create", user=self.manager))
		refused = number()
		frappe.set_user(self.sysman)  # only a System Manager may import at all
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"contacts-{RUN}.csv",
				"content": f"WhatsApp Number,User\n{refused},Administrator\n",
				"is_private": 1,
			}
		).insert()
		frappe.db.commit()
		try:
			for doctype in (CONTACT, ACCESS):
				with (
					self.subTest(doctype=doctype),
					self.assertRaisesRegex(frappe.ValidationError, "Allow Import"),
				):
					data_import = frappe.get_doc(
						{
							"doctype": "Data Import",
							"reference_doctype": doctype,
							"import_type": "Insert New Records",
							"import_file": file.file_url,
						}
					).insert()
					form_start_import(data_import.name)
			self.assertFalse(frappe.db.exists(CONTACT, {"wa_id": refused}))
		finally:
			frappe.db.rollback()
			frappe.set_user("Administrator")
			frappe.delete_doc("File", file.name, ignore_permissions=True, force=True)
			frappe.db.commit()


QUOTE = {
	"doctype": "Quotation",
	"customer": "Acme Corp",
	"items": [{"item": "SKU-1", "qty": 20, "rate": None}],
	"delivery_date": None,
}


class TestRelinkForgetsTheOldUser(f.InterpreterTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sysman = person("relinker", ("System Manager",))

	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()
		drop_users(cls.sysman)

	def tearDown(self):
		frappe.set_user("Administrator")

	def quotations(self) -> set:
		return set(
			frappe.get_all(
				"Quotation",
				filters={"party_name": "Acme Corp", "owner": self.sales, "docstatus": 0},
				pluck="name",
			)
		)

	def test_a_new_user_gets_no_pending_confirmation_and_no_history(self):
		before = self.quotations()
		self.openai.script(call("create_sales_document", QUOTE))
		[preview] = self.say("haz una cotización para Acme, 20 unidades de SKU-1")
		command = frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})
		self.assertEqual((command.status, command.run_as), ("Awaiting Confirmation", self.sales))
		old_conversation = command.conversation

		# a System Manager gives the number to the storekeeper
		frappe.set_user(self.sysman)
		client.set_value(CONTACT, self.sales_contact.name, "user", self.storekeeper)
		frappe.db.commit()
		frappe.set_user("Administrator")

		command.reload()
		self.assertEqual((command.status, command.confirmation_token), ("Cancelled", None))
		self.assertEqual(frappe.db.get_value("Chatbot Conversation", old_conversation, "status"), "Closed")
		note = frappe.get_all(
			"Comment",
			filters={"reference_doctype": CONTACT, "reference_name": self.sales_contact.name},
			pluck="content",
		)
		self.assertTrue(any(command.name in text and old_conversation in text for text in note), note)

		# the old Confirm button, pressed from the phone, writes nothing
		[answer] = self.press(self.buttons(preview)[0])
		self.assertEqual(self.body(answer), texts.text("confirmation_invalid", "es"))
		self.assertEqual(self.quotations(), before)
		self.assertEqual(frappe.db.get_value("Chatbot Command", command.name, "status"), "Cancelled")

		# the next message is a new conversation: the model sees nothing of the old user's
		self.openai.script(say("Hola, ¿en qué te ayudo?"))
		self.say("hola")
		sent = str(self.openai.requests[-1]["messages"])
		self.assertNotIn("haz una cotización", sent)
		self.assertNotIn(self.body(preview)[:40], sent)
		latest = frappe.get_last_doc(
			"Chatbot Message", filters={"contact": self.sales_contact.name, "direction": "Incoming"}
		)
		self.assertNotEqual(latest.conversation, old_conversation)
		self.assertEqual(latest.user, self.storekeeper)

	def test_disabling_a_contact_cancels_its_confirmation(self):
		self.openai.script(call("create_sales_document", QUOTE))
		self.say("haz una cotización para Acme, 20 unidades de SKU-1")
		command = frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})
		frappe.set_user(self.sysman)
		client.set_value(CONTACT, self.sales_contact.name, "enabled", 0)
		frappe.db.commit()
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Chatbot Command", command.name, "status"), "Cancelled")

	def test_a_confirmation_proposed_to_the_previous_user_never_runs_as_them(self):
		# the link changed behind the controller's back (a direct database write, a restore):
		# the pending question still names the old User, and a Confirm must not run it as them
		before = self.quotations()
		self.openai.script(call("create_sales_document", QUOTE))
		[preview] = self.say("haz una cotización para Acme, 20 unidades de SKU-1")
		command = frappe.get_last_doc("Chatbot Command", filters={"contact": self.sales_contact.name})
		frappe.db.set_value(CONTACT, self.sales_contact.name, "user", self.storekeeper)
		frappe.db.commit()
		[answer] = self.press(self.buttons(preview)[0])
		self.assertEqual(self.body(answer), texts.text("confirmation_invalid", "es"))
		self.assertEqual(self.quotations(), before)
		self.assertEqual(
			frappe.db.get_value("Chatbot Command", command.name, "status"), "Awaiting Confirmation"
		)
