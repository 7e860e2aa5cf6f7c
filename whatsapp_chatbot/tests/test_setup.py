"""Getting live: the Settings checks against the stand-ins (and a wrong token or key), the verify
token, and linking staff from Users and Employees with a mobile number."""

import frappe

from whatsapp_chatbot.api import setup
from whatsapp_chatbot.channel import staff
from whatsapp_chatbot.permissions import CHAT_ROLE
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI


class TestSettingsChecks(f.ChatbotTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.openai = FakeOpenAI().start()

	@classmethod
	def tearDownClass(cls):
		cls.openai.stop()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		self.openai.reset()
		self.openai.api_key = "sk-right-key"
		self.graph.add_phone_number(f.PHONE_NUMBER_ID, "+1 555-078-3881", "Ferretería Demo", "GREEN")

	def test_graph_api_reads_the_phone_number(self):
		result = setup.test_graph_api()
		self.assertEqual(
			{k: result[k] for k in ("ok", "display_phone_number", "verified_name", "quality_rating")},
			{
				"ok": True,
				"display_phone_number": "+1 555-078-3881",
				"verified_name": "Ferretería Demo",
				"quality_rating": "GREEN",
			},
		)
		request = self.graph.requests[-1]
		self.assertEqual(request.headers["Authorization"], f"Bearer {f.ACCESS_TOKEN}")
		self.assertIn("fields=display_phone_number", request.path)

	def test_graph_api_with_a_wrong_token_shows_metas_error(self):
		f.make_settings(self.graph.base_url, access_token="EAAG-expired-token")
		result = setup.test_graph_api()
		self.assertFalse(result["ok"])
		self.assertEqual(result["code"], 190)
		self.assertIn("Invalid OAuth access token", result["error"])
		self.assertTrue(result["hint"])

	def test_graph_api_with_a_wrong_phone_number_id(self):
		f.make_settings(self.graph.base_url, phone_number_id="123456789")
		result = setup.test_graph_api()
		self.assertFalse(result["ok"])
		self.assertIn("does not exist", result["error"])

	def test_graph_api_without_settings(self):
		f.make_settings(self.graph.base_url, enabled=0, access_token="")
		result = setup.test_graph_api()
		self.assertFalse(result["ok"])
		self.assertIn("access token", result["error"])

	def openai_settings(self, **values):
		settings = {
			"openai_api_key": "sk-right-key",
			"openai_base_url": self.openai.base_url,
			"openai_model": "gpt-4.1-mini",
			"transcription_model": "gpt-4o-mini-transcribe",
		}
		f.make_settings(self.graph.base_url, **{**settings, **values})

	def test_openai_lists_models_and_finds_the_configured_one(self):
		self.openai_settings()
		result = setup.test_openai()
		self.assertTrue(result["ok"], result)
		self.assertEqual(
			(result["models"], result["model_found"], result["transcription_model_found"]), (3, True, True)
		)

	def test_openai_model_missing(self):
		self.openai_settings(openai_model="gpt-9-imaginary")
		result = setup.test_openai()
		self.assertFalse(result["ok"])
		self.assertIn("gpt-9-imaginary", result["error"])

	def test_openai_wrong_key_shows_openais_error(self):
		self.openai_settings(openai_api_key="sk-wrong-key-9999")
		result = setup.test_openai()
		self.assertFalse(result["ok"])
		self.assertEqual(result["code"], "invalid_api_key")
		self.assertIn("Incorrect API key provided", result["error"])
		self.assertNotIn("sk-wrong-key-9999", result["error"])  # OpenAI masks it; so do we

	def test_openai_without_a_key(self):
		result = setup.test_openai()
		self.assertFalse(result["ok"])

	def test_verify_token(self):
		first, second = setup.generate_verify_token(), setup.generate_verify_token()
		self.assertEqual(len(first), 32)
		self.assertNotEqual(first, second)


class TestLinkStaff(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		self.code = staff.site_calling_code()  # numbers without a country code get the site's
		if not self.code:
			self.skipTest("the site has no country in System Settings")
		# fixed users (Frappe throttles user creation), fresh numbers each run (mobile_no is unique)
		self.suffix = frappe.generate_hash(length=6)
		digits = str(int(self.suffix, 16) % 10**8).zfill(8)
		self.with_role = self.person("con-rol", CHAT_ROLE, mobile=f"55 {digits[:4]} {digits[4:]}")
		self.without_role = self.person("sin-rol", "Sales User", mobile=f"+34 6{digits}")
		self.already = self.person("ya", CHAT_ROLE, mobile=f"+52 33 {digits}")
		f.make_contact(f"5233{digits}", user=self.already)
		self.bad = self.person("malo", CHAT_ROLE, mobile=f"9{digits[:3]}")  # too short
		self.via_employee = self.person("empleado", CHAT_ROLE, mobile=None)
		self.employee_number = f"+1 415 {digits[:3]} {digits[3:7]}"
		self.make_employee(self.via_employee, self.employee_number)
		self.mine = {self.with_role, self.without_role, self.already, self.bad, self.via_employee}
		self.expected_wa_id = f"{self.code}55{digits}"

	def person(self, name: str, role: str, mobile: str | None) -> str:
		email = f"chatbot-staff-{name}@example.com"
		f.make_user(email, roles=(role,))
		frappe.db.set_value("User", email, "mobile_no", mobile)
		frappe.db.commit()
		return email

	def make_employee(self, user: str, number: str) -> None:
		company = frappe.get_all("Company", pluck="name", limit=1)
		if not company:
			self.skipTest("no Company on this site for an Employee")
		existing = frappe.db.get_value("Employee", {"user_id": user})
		if existing:
			frappe.db.set_value("Employee", existing, {"cell_number": number, "status": "Active"})
			frappe.db.commit()
			return
		frappe.get_doc(
			{
				"doctype": "Employee",
				"first_name": f"Empleado {self.suffix}",
				"gender": frappe.get_all("Gender", pluck="name", limit=1)[0],
				"date_of_birth": "1990-01-01",
				"date_of_joining": "2020-01-01",
				"company": company[0],
				"user_id": user,
				"cell_number": number,
				"status": "Active",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()

	def rows(self) -> dict:
		return {
			row["user"]: row for row in setup.preview_staff_contacts()["rows"] if row["user"] in self.mine
		}

	def test_preview_then_create(self):
		rows = self.rows()
		self.assertEqual(
			{user: row["action"] for user, row in rows.items()},
			{
				self.with_role: "create",
				self.without_role: "no_role",
				self.already: "linked",
				self.bad: "invalid",
				self.via_employee: "create",
			},
		)
		self.assertEqual(rows[self.with_role]["wa_id"], self.expected_wa_id)
		self.assertEqual(
			rows[self.via_employee]["wa_id"], "".join(ch for ch in self.employee_number if ch.isdigit())
		)
		self.assertTrue(rows[self.via_employee]["source"].startswith("Employee"))
		self.assertEqual(
			frappe.db.count("Chatbot Contact", {"user": self.with_role}), 0
		)  # preview writes nothing

		# the manager ticks everyone, including one the preview did not offer: only offered rows are made
		created = setup.link_staff_contacts([self.with_role, self.without_role, self.via_employee])
		self.assertEqual(len(created), 2)
		contact = frappe.get_doc("Chatbot Contact", {"user": self.with_role})
		self.assertEqual((contact.wa_id, contact.enabled), (self.expected_wa_id, 1))
		self.assertFalse(frappe.db.exists("Chatbot Contact", {"user": self.without_role}))
		self.assertEqual(self.rows()[self.with_role]["action"], "linked")
		self.assertEqual(setup.link_staff_contacts([self.with_role]), [])  # nothing twice

	def test_numbers_are_read_with_the_managers_permissions(self):
		# a manager who may not read Employees does not get their numbers through Link Staff
		manager = f.make_user("chatbot-staff-manager-only@example.com", roles=("WhatsApp Chatbot Manager",))
		frappe.set_user(manager)
		try:
			self.assertFalse(frappe.has_permission("Employee", "read"))
			users = {row["user"] for row in setup.preview_staff_contacts()["rows"]}
		finally:
			frappe.set_user("Administrator")
		self.assertNotIn(self.via_employee, users)
		self.assertEqual(users & self.mine, self.mine - {self.via_employee})  # what Frappe lets them read
