"""Templates as data in the real site: Sync from Meta across pages, rows Meta no longer lists, and
the three template webhooks posted signed to the webhook, as Meta means them."""

import json

import frappe

from whatsapp_chatbot.api import setup
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_template_samples import sample_set

TEMPLATE = "Chatbot Template"


class TemplatesTestCase(f.ChatbotTestCase):
	"""A WhatsApp Business Account of this run (its own id): Meta's side holds the sample set,
	the Settings point at it, and only its rows are read and removed."""

	def setUp(self):
		super().setUp()
		self.suffix = "_" + frappe.generate_hash(length=6)
		self.waba = str(900000000000000 + int(frappe.generate_hash(length=8), 16))
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "business_account_id", self.waba)
		frappe.clear_document_cache("WhatsApp Chatbot Settings", "WhatsApp Chatbot Settings")
		frappe.db.commit()
		for template in sample_set(self.suffix):
			self.graph.templates.add_template(self.waba, **template)
		self.graph.templates.max_page_size = 2  # Meta's pages, whatever limit the client asks
		self.manager = f.make_manager()
		self.addCleanup(self.forget)

	def forget(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		names = frappe.get_all(TEMPLATE, filters={"business_account_id": self.waba}, pluck="name")
		for fieldname in ("waiting_template", "notification_template"):
			frappe.db.set_single_value("WhatsApp Chatbot Settings", fieldname, None)
		frappe.db.delete(
			"Notification Log", {"document_type": TEMPLATE, "document_name": ("in", names or [""])}
		)
		frappe.db.delete("Chatbot Template Event", {"parent": ("in", names or [""])})
		frappe.db.delete(TEMPLATE, {"name": ("in", names or [""])})
		self.graph.templates.templates.pop(self.waba, None)
		frappe.db.commit()

	def sync(self) -> dict:
		frappe.set_user(self.manager)
		try:
			return setup.sync_templates()
		finally:
			frappe.set_user("Administrator")

	def row(self, name: str, language: str):
		return frappe.get_doc(TEMPLATE, f"{name}{self.suffix}-{language}")


class TestSync(TemplatesTestCase):
	def test_every_page_positional_named_document_header_and_buttons(self):
		counts = self.sync()
		self.assertEqual((counts["total"], counts["created"], counts["missing"]), (6, 6, 0))
		pages = [r for r in self.graph.requests if f"/{self.waba}/message_templates" in r.path]
		self.assertEqual(len(pages), 3)
		rows = frappe.get_all(TEMPLATE, filters={"business_account_id": self.waba}, pluck="name")
		self.assertEqual(len(rows), 6)

		invoice = self.row("t_invoice_named", "en")
		self.assertEqual(
			(invoice.status, invoice.parameter_format, invoice.category), ("APPROVED", "Named", "UTILITY")
		)
		self.assertEqual(invoice.quality_score, "GREEN")
		self.assertEqual(
			invoice.template_id, self.graph.templates.get(f"t_invoice_named{self.suffix}", "en")["id"]
		)
		self.assertIn("Header: document", invoice.parameters)
		self.assertIn("{{invoice}}", invoice.parameters)
		self.assertEqual(json.loads(invoice.components)[0]["format"], "DOCUMENT")
		self.assertTrue(invoice.last_synced_at)

		shipped = self.row("t_shipped", "en")
		self.assertEqual(shipped.parameter_format, "Positional")
		self.assertIn("URL suffix after https://example.com/track/", shipped.parameters)
		self.assertIn("“Help” (url): no parameter", shipped.parameters)
		self.assertIn("payload, optional", self.row("t_waiting", "es").parameters)

	def test_a_second_sync_changes_nothing_and_a_status_at_meta_is_followed(self):
		self.sync()
		modified = self.row("t_hello", "es").modified
		self.graph.templates.pause(f"t_order_ready{self.suffix}", "es")
		counts = self.sync()
		self.assertEqual((counts["created"], counts["updated"], counts["unchanged"]), (0, 1, 5))
		self.assertEqual(self.row("t_hello", "es").modified, modified)
		self.assertEqual(self.row("t_order_ready", "es").status, "PAUSED")

	def test_a_template_gone_at_meta_is_marked_not_deleted_and_kept_while_in_use(self):
		self.sync()
		used = self.row("t_waiting", "es").name
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "waiting_template", used)
		frappe.db.commit()
		self.graph.templates.remove(self.waba, f"t_waiting{self.suffix}", "es")
		self.graph.templates.remove(self.waba, f"t_hello{self.suffix}", "en")
		counts = self.sync()
		self.assertEqual(counts["missing"], 2)
		for name, language in (("t_waiting", "es"), ("t_hello", "en")):
			row = self.row(name, language)
			self.assertEqual(row.missing_at_meta, 1)
			self.assertIn("no longer lists", row.status_reason)
		with self.assertRaises(frappe.LinkExistsError):
			frappe.delete_doc(TEMPLATE, used)
		# back at Meta: the mark and its reason go
		self.graph.templates.add_template(self.waba, **sample_set(self.suffix)[3])
		self.sync()
		self.assertEqual(
			(self.row("t_waiting", "es").missing_at_meta, self.row("t_waiting", "es").status_reason),
			(0, None),
		)

	def test_a_graph_error_midway_writes_nothing(self):
		self.sync()
		self.graph.templates.remove(self.waba, f"t_hello{self.suffix}", "es")
		self.graph.templates.pause(f"t_order_ready{self.suffix}", "es")
		self.graph.fail_next(131000, path="after=")  # page 2 fails
		with self.assertRaises(frappe.ValidationError) as raised:
			self.sync()
		self.assertIn("nothing was changed", str(raised.exception))
		frappe.db.rollback()
		self.assertEqual(self.row("t_order_ready", "es").status, "APPROVED")
		self.assertEqual(self.row("t_hello", "es").missing_at_meta, 0)

	def test_the_daily_job_syncs_and_logs_a_failure(self):
		from whatsapp_chatbot.message_templates import sync

		sync.daily()
		self.assertEqual(frappe.db.count(TEMPLATE, {"business_account_id": self.waba}), 6)
		self.graph.fail_next(190, path="message_templates")
		sync.daily()  # the scheduler's job never raises: the Error Log says why
		logged = frappe.get_all(
			"Error Log", filters={"method": "WhatsApp templates: daily sync failed"}, pluck="error"
		)
		self.assertTrue(logged)
		self.assertIn("nothing was changed", logged[0])
		frappe.db.delete("Error Log", {"method": "WhatsApp templates: daily sync failed"})
		frappe.db.commit()

	def test_settings_missing_say_what_to_set(self):
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "business_account_id", "")
		frappe.clear_document_cache("WhatsApp Chatbot Settings", "WhatsApp Chatbot Settings")
		with self.assertRaises(frappe.ValidationError) as raised:
			self.sync()
		self.assertIn("WhatsApp Business Account ID", str(raised.exception))

	def test_managers_only(self):
		user = f.make_user("template-chat-user@example.com")
		frappe.set_user(user)
		from whatsapp_chatbot.api import templates

		for call in (
			setup.sync_templates,
			setup.create_app_templates,
			lambda: templates.preview("anything"),
			lambda: templates.send_test("anything", "anyone"),
		):
			with self.assertRaises(frappe.PermissionError):
				call()
		frappe.set_user("Administrator")
		self.assertEqual(frappe.get_all(TEMPLATE, filters={"business_account_id": self.waba}), [])


class TestTemplateWebhooks(TemplatesTestCase):
	def setUp(self):
		super().setUp()
		self.sync()
		frappe.db.delete("Notification Log", {"document_type": TEMPLATE})
		frappe.db.commit()

	def event(self, name: str, language: str, event: str, **kwargs) -> dict:
		body = self.graph.templates.event(f"{name}{self.suffix}", language, event, **kwargs)
		self.post(body)
		return body

	def events(self, name: str, language: str) -> list:
		return [(e.event, e.previous_status, e.status_changed) for e in self.row(name, language).events]

	def test_flagged_keeps_approved_and_says_so(self):
		self.event("t_order_ready", "es", "FLAGGED")
		row = self.row("t_order_ready", "es")
		self.assertEqual((row.status, row.flagged), ("APPROVED", 1))
		self.assertIn("Flagged by Meta", row.status_reason)
		self.assertEqual(self.events("t_order_ready", "es"), [("FLAGGED", "APPROVED", 0)])
		self.assertEqual(json.loads(row.events[0].payload)["value"]["event"], "FLAGGED")

	def test_paused_then_reinstated(self):
		self.event("t_order_ready", "es", "PAUSED")
		row = self.row("t_order_ready", "es")
		self.assertEqual(row.status, "PAUSED")
		self.assertIn("3 hours", row.status_reason)
		self.event("t_order_ready", "es", "FLAGGED")
		self.event("t_order_ready", "es", "REINSTATED")
		row = self.row("t_order_ready", "es")
		self.assertEqual((row.status, row.flagged, row.status_reason), ("APPROVED", 0, "Reinstated by Meta"))
		self.assertEqual(
			[e[0] for e in self.events("t_order_ready", "es")], ["PAUSED", "FLAGGED", "REINSTATED"]
		)

	def test_disabled_in_use_tells_the_managers_once(self):
		used = self.row("t_waiting", "es").name
		frappe.db.set_single_value("WhatsApp Chatbot Settings", "notification_template", used)
		frappe.db.commit()
		body = self.event("t_waiting", "es", "DISABLED")
		self.post(body)  # Meta delivers it again
		row = self.row("t_waiting", "es")
		self.assertEqual(row.status, "DISABLED")
		self.assertEqual(len(row.events), 1)
		alerts = frappe.get_all(
			"Notification Log",
			filters={"document_type": TEMPLATE, "document_name": used},
			fields=["for_user", "subject", "email_content"],
		)
		managers = frappe.get_all(
			"Has Role",
			filters={"role": ("in", ["WhatsApp Chatbot Manager", "System Manager"]), "parenttype": "User"},
			pluck="parent",
			distinct=True,
		)
		self.assertIn(self.manager, [a.for_user for a in alerts])
		self.assertEqual(len(alerts), len({a.for_user for a in alerts}))  # once each
		self.assertLessEqual(len(alerts), len(managers))
		self.assertIn("disabled", alerts[0].subject)
		self.assertIn("notifications", alerts[0].email_content)
		# a pause of a template nobody uses tells nobody
		self.event("t_hello", "en", "PAUSED")
		self.assertEqual(
			frappe.db.count(
				"Notification Log",
				{"document_type": TEMPLATE, "document_name": self.row("t_hello", "en").name},
			),
			0,
		)

	def test_paused_template_sent_lately_is_in_use(self):
		row = self.row("t_shipped", "en")
		contact = f.make_contact("5215500009999")
		frappe.get_doc(
			{
				"doctype": "Chatbot Message",
				"direction": "Outgoing",
				"status": "Sent",
				"contact": contact.name,
				"template": row.name,
				"message_type": "template",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.event("t_shipped", "en", "PAUSED")
		content = frappe.get_all(
			"Notification Log", filters={"document_name": row.name}, pluck="email_content"
		)
		self.assertTrue(content)
		self.assertIn("1 messages sent in the last 30 days", content[0])

	def test_a_notification_sending_it_makes_it_in_use(self):
		if not frappe.get_meta("Notification").has_field("whatsapp_template"):
			self.skipTest("the WhatsApp channel's fields are not on Notification on this site")
		row = self.row("t_order_ready", "es")
		notification = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"Template test {self.suffix}",
				"subject": "x",
				"document_type": "ToDo",
				"event": "New",
				"channel": "System Notification",
				"enabled": 1,
				"whatsapp_template": row.name,
			}
		)
		notification.db_insert()  # only what usage.py reads; the WhatsApp channel's checks are not the point
		frappe.db.commit()
		self.addCleanup(frappe.db.delete, "Notification", notification.name)
		self.event("t_order_ready", "es", "PAUSED")
		content = frappe.get_all(
			"Notification Log", filters={"document_name": row.name}, pluck="email_content"
		)
		self.assertTrue(content)
		self.assertIn(f"Notification Template test {self.suffix}", content[0])

	def test_quality_and_category_updates(self):
		self.post(self.graph.templates.quality_webhook(f"t_hello{self.suffix}", "es", "YELLOW"))
		self.post(self.graph.templates.category_webhook(f"t_hello{self.suffix}", "es", "MARKETING"))
		row = self.row("t_hello", "es")
		self.assertEqual((row.quality_score, row.category, row.status), ("YELLOW", "MARKETING", "APPROVED"))
		self.assertEqual([e.event for e in row.events], ["QUALITY YELLOW", "CATEGORY MARKETING"])

	def test_a_duplicate_delivery_appends_once_and_an_older_event_changes_nothing(self):
		approved = self.graph.templates.event(f"t_hello{self.suffix}", "en", "APPROVED", at=2_000_000_000)
		paused = self.graph.templates.event(f"t_hello{self.suffix}", "en", "PAUSED", at=1_999_999_000)
		self.post(approved)
		self.post(approved)
		self.post(paused)  # sent before the approval, delivered after it
		row = self.row("t_hello", "en")
		self.assertEqual(row.status, "APPROVED")
		self.assertEqual([e.event for e in row.events], ["APPROVED", "PAUSED"])
		self.assertIn("older", row.events[1].detail)

	def test_an_unknown_template_gets_a_row_and_another_account_is_not_ours(self):
		name = f"t_elsewhere{self.suffix}"
		self.graph.templates.add_template(
			self.waba, name, "pt_BR", [{"type": "BODY", "text": "Olá, tudo bem por aí?"}], status="PENDING"
		)
		self.event("t_elsewhere", "pt_BR", "APPROVED")
		row = frappe.get_doc(TEMPLATE, f"{name}-pt_BR")
		self.assertEqual(
			(row.status, row.template_id), ("APPROVED", self.graph.templates.get(name, "pt_BR")["id"])
		)
		self.assertIn("Sync from Meta", row.status_reason)
		other = self.graph.templates.event(f"t_hello{self.suffix}", "es", "PAUSED")
		other["entry"][0]["id"] = "111111111111111"
		self.post(other)
		self.assertEqual(self.row("t_hello", "es").status, "APPROVED")
