"""The way out in a real site: rows before sends, Meta's errors by code, statuses, the sweep."""

import json

import frappe
from frappe.utils import add_to_date, now_datetime

from whatsapp_chatbot.channel import alerts, outbox, outgoing
from whatsapp_chatbot.jobs.sweep import sweep
from whatsapp_chatbot.tests import factories as f

MX = "5215512345678"


class OutboxTestCase(f.ChatbotTestCase):
	def setUp(self):
		super().setUp()
		self.contact = f.make_contact(
			MX, user=f.make_user("chatbot-outbox@example.com"), last_inbound_at=now_datetime()
		)

	def queue(self, text="hola", key=None):
		names = outbox.queue_text(self.contact, text, key=key)
		frappe.db.commit()
		return names

	def row(self, name):
		return frappe.get_doc("Chatbot Message", name)


class TestSending(OutboxTestCase):
	def test_row_exists_before_send_and_gets_the_wamid(self):
		[name] = self.queue("hola")
		self.assertEqual(self.row(name).status, "Queued")
		self.assertEqual(self.graph.requests, [])
		[job] = f.queued_jobs()
		self.assertEqual(job.kwargs["kwargs"], {"message": name})
		f.run_jobs()
		row = self.row(name)
		[sent] = self.graph.sent_messages()
		self.assertEqual((row.status, row.wamid, row.attempts), ("Sent", sent["_wamid"], 1))
		self.assertEqual(json.loads(row.request_body), outgoing.text("hola"))

	def test_long_text_goes_out_in_order(self):
		text = "\n".join(f"Factura ACC-SINV-{i:05d}: pendiente $ {i * 100:,}.00" for i in range(400))
		names = self.queue(text, key="long")
		self.assertGreater(len(names), 3)
		f.run_jobs()
		bodies = [s["text"]["body"] for s in self.graph.sent_messages()]
		self.assertEqual("\n".join(bodies), text)
		self.assertTrue(all(len(b) <= 4096 for b in bodies))

	def test_same_key_queues_once(self):
		first = self.queue("hola", key="answer-1")
		second = self.queue("hola", key="answer-1")
		self.assertEqual(first, second)
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 1)

	def test_sent_row_is_never_sent_again(self):
		[name] = self.queue("hola")
		f.run_jobs()
		outbox.enqueue_send(name, attempt="again")
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 1)


class TestMetaErrors(OutboxTestCase):
	def test_throttling_retries_then_succeeds(self):
		for code in (130429, 131056, 80007, 4):
			with self.subTest(code=code):
				self.graph.reset()
				self.graph.fail_next(code, times=1, path="/messages")
				[name] = self.queue(f"retry {code}")
				f.run_jobs()  # first retry waits 1 s inside the job (inline_retry_seconds = 1)
				row = self.row(name)
				self.assertEqual((row.status, row.attempts), ("Sent", 2))

	def test_longer_backoff_is_left_to_the_sweep(self):
		self.graph.fail_next(130429, times=2, path="/messages")
		[name] = self.queue("hola")
		f.run_jobs()
		row = self.row(name)
		self.assertEqual((row.status, row.attempts, row.error_code), ("Queued", 2, "130429"))
		self.assertGreater(row.next_attempt_at, now_datetime())  # 4^1 s later
		self.assertEqual(sweep()["outgoing"], 0)  # not due yet
		row.db_set("next_attempt_at", add_to_date(now_datetime(), seconds=-1))  # time passes
		frappe.db.commit()
		self.assertEqual(sweep()["outgoing"], 1)
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(self.row(name).status, "Sent")

	def test_5xx_and_timeouts_retry_up_to_the_limit(self):
		self.graph.fail_next(None, times=10, http_status=503, path="/messages")
		frappe.db.set_single_value("WhatsApp Chatbot Settings", {"max_send_attempts": 2})
		frappe.db.commit()
		[name] = self.queue("hola")
		f.run_jobs()
		row = self.row(name)
		self.assertEqual((row.status, row.attempts), ("Failed", 2))
		self.assertIn("HTTP 503", row.error_message)

	def test_outside_window_is_held_with_the_reason(self):
		# no waiting template configured (see test_held for the template and the release)
		self.graph.fail_next(131047, path="/messages")
		[name] = self.queue("hola")
		f.run_jobs()
		row = self.row(name)
		self.assertEqual((row.status, row.error_code, row.attempts), ("Held", "131047", 1))
		self.assertIn("24-hour", row.error_message)
		self.assertIn("no template is set as Waiting Template", row.error_message)
		self.assertEqual(self.graph.sent_messages(), [])

	def test_closed_window_known_in_advance_costs_no_call(self):
		self.contact.db_set("last_inbound_at", add_to_date(now_datetime(), hours=-30))
		frappe.db.commit()
		[name] = self.queue("hola")
		f.run_jobs()
		self.assertEqual(self.row(name).status, "Held")
		self.assertEqual(self.graph.requests, [])

	def test_bad_token_fails_at_once_and_alerts_once(self):
		manager = f.make_manager()
		self.graph.fail_next(190, times=5, path="/messages")
		names = self.queue("uno") + self.queue("dos")
		f.run_jobs()
		self.assertEqual([self.row(n).status for n in names], ["Failed", "Failed"])
		self.assertEqual([self.row(n).attempts for n in names], [1, 1])
		self.assertEqual(
			frappe.db.count(
				"Notification Log", {"for_user": manager, "document_type": "WhatsApp Chatbot Settings"}
			),
			1,
		)
		self.assertEqual(frappe.db.count("Error Log", {"method": ("like", "%access token%")}), 1)
		self.assertTrue(alerts.token_invalid_since())
		logged = json.dumps(
			frappe.get_all("Error Log", filters={"method": ("like", "%access token%")}, fields=["error"])
		)
		self.assertNotIn(f.ACCESS_TOKEN, logged)
		# a new token clears the alert
		settings = frappe.get_single("WhatsApp Chatbot Settings")
		settings.access_token = f.ACCESS_TOKEN
		settings.save(ignore_permissions=True)
		self.assertFalse(alerts.token_invalid_since())


class TestStatuses(OutboxTestCase):
	def test_status_before_the_wamid_is_recorded_is_not_lost(self):
		self.graph.next_wamids("wamid.EARLY")
		self.post(f.status_webhook("wamid.EARLY", "delivered", MX))  # Meta was faster than our commit
		[name] = self.queue("hola")
		f.run_jobs()
		row = self.row(name)
		self.assertEqual((row.wamid, row.status), ("wamid.EARLY", "Delivered"))
		self.assertTrue(frappe.db.get_value("Chatbot Status Event", {"wamid": "wamid.EARLY"}, "applied"))

	def test_the_sweep_applies_what_the_sender_missed(self):
		[name] = self.queue("hola")
		f.run_jobs()
		wamid = self.row(name).wamid
		frappe.get_doc(
			{
				"doctype": "Chatbot Status Event",
				"wamid": wamid,
				"status": "read",
				"event_key": f"{wamid}:read",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.assertEqual(sweep()["statuses"], 1)
		self.assertEqual(self.row(name).status, "Read")

	def test_statuses_never_go_backwards_and_failures_keep_the_code(self):
		[first, second] = self.queue("uno") + self.queue("dos")
		f.run_jobs()
		one, two = self.row(first).wamid, self.row(second).wamid
		self.post(f.status_webhook(one, "read", MX))
		self.post(f.status_webhook(one, "delivered", MX))  # late and out of order
		self.post(f.status_webhook(two, "failed", MX, error_code=131049))
		self.assertEqual(self.row(first).status, "Read")
		self.assertIsNotNone(self.row(first).read_at)
		failed = self.row(second)
		self.assertEqual((failed.status, failed.error_code), ("Failed", "131049"))
		self.assertIn("no sooner than 24 hours later", failed.error_message)  # what to do, from Meta's code


class TestSweep(OutboxTestCase):
	def test_stale_incoming_is_answered_once(self):
		self.post(f.text_webhook("hola", wa_id=MX, wamid="wamid.STALE"))
		f.clear_jobs()  # as if Redis had been flushed
		[incoming] = f.rows("Incoming")
		self.assertEqual(sweep()["incoming"], 0)  # not stale yet
		frappe.db.set_value(
			"Chatbot Message",
			incoming.name,
			"modified",
			add_to_date(now_datetime(), minutes=-10),
			update_modified=False,
		)
		frappe.db.commit()
		self.assertEqual(sweep()["incoming"], 1)
		frappe.db.commit()
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 1)
		# an answered message is never answered again, however often the sweep runs
		frappe.db.set_value(
			"Chatbot Message",
			incoming.name,
			"modified",
			add_to_date(now_datetime(), minutes=-10),
			update_modified=False,
		)
		frappe.db.commit()
		self.assertEqual(sweep()["incoming"], 0)
		f.run_jobs()
		self.assertEqual(len(self.graph.sent_messages()), 1)

	def test_send_left_sending_by_a_dead_worker_is_resent(self):
		[name] = self.queue("hola")
		f.clear_jobs()
		frappe.db.set_value(
			"Chatbot Message",
			name,
			{"status": "Sending", "attempts": 1, "modified": add_to_date(now_datetime(), minutes=-10)},
			update_modified=False,
		)
		frappe.db.commit()
		self.assertEqual(sweep()["outgoing"], 1)
		frappe.db.commit()
		f.run_jobs()
		row = self.row(name)
		self.assertEqual((row.status, row.attempts), ("Sent", 2))
