"""Subscriptions as a person makes them: the model proposes one, the person confirms it like any write;
/subscriptions lists them; /unsubscribe N or "cancela la suscripción de ventas" stops one, confirmed
too. Fixed dates and writes are refused with a question back; the Desk keeps the same rules.

The model is the OpenAI stand-in (tests/fake_openai.py), Meta the Graph stand-in; the rest is the
site: webhook, jobs, dispatcher, confirmation, the Chatbot Subscription rows."""

import json

import frappe
from frappe.utils import get_datetime, now_datetime

from whatsapp_chatbot.subscriptions import schedule
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.fake_openai import call, from_request, last_tool_result, say

SUB = "Chatbot Subscription"
SALES_DAILY = {
	"command": "sales_summary",
	"arguments": "{}",
	"period": "yesterday",
	"every": "day",
	"day": None,
	"time": "08:00",
	"title": "Ventas de ayer",
}


def echo_tool_result():
	"""The model says what the tool answered (a real model words the question back itself)."""
	return from_request(lambda request: say(last_tool_result(request)))


class SubscriptionTestCase(f.InterpreterTestCase):
	def subscriptions(self, user=None):
		return frappe.get_all(SUB, filters={"user": user or self.sales}, fields=["*"], order_by="number asc")

	def confirm(self, question):
		[done] = self.press(self.buttons(question)[0])
		return self.body(done)


class TestSubscribing(SubscriptionTestCase):
	def test_the_model_proposes_and_confirm_makes_it(self):
		self.openai.script(call("subscribe", SALES_DAILY))
		[question] = self.say("mándame las ventas de ayer cada día a las 8")
		self.assertIn("*Ventas de ayer, cada día a las 8:00*", self.body(question))
		self.assertEqual(len(self.buttons(question)), 2)  # Confirm / Cancel
		self.assertEqual(self.subscriptions(), [])  # nothing before the person's Confirm
		before = now_datetime()

		done = self.confirm(question)
		[sub] = self.subscriptions()
		self.assertIn("Listo: *Ventas de ayer, cada día a las 8:00* (número 1)", done)
		self.assertIn("/unsubscribe 1", done)
		self.assertEqual(
			(sub.contact, sub.user, sub.command, sub.period, sub.frequency, sub.enabled, sub.number),
			(self.sales_contact.name, self.sales, "sales_summary", "Yesterday", "Daily", 1, 1),
		)
		self.assertEqual(json.loads(sub.arguments), {})  # the period stays a word: no dates stored
		self.assertEqual(str(sub.send_at), "8:00:00")
		self.assertEqual(get_datetime(sub.next_run_at), schedule.next_run("Daily", "08:00", before))
		command = frappe.get_last_doc("Chatbot Command", filters={"command": "subscribe"})
		self.assertEqual((command.status, command.run_as), ("Succeeded", self.sales))

	def test_cancel_makes_nothing(self):
		self.openai.script(call("subscribe", SALES_DAILY))
		[question] = self.say("mándame las ventas de ayer cada día a las 8")
		[cancelled] = self.press(self.buttons(question)[1], title="Cancelar")
		self.assertIn("Cancelado", self.body(cancelled))
		self.assertEqual(self.subscriptions(), [])

	def test_weekly_and_monthly_say_when(self):
		weekly = {**SALES_DAILY, "every": "Monday", "period": "last_week"}
		weekly["title"] = "Ventas de la semana pasada"
		self.openai.script(call("subscribe", weekly))
		[question] = self.say("cada lunes a las 8 las ventas de la semana pasada")
		self.assertIn("Ventas de la semana pasada, cada lunes a las 8:00", self.body(question))
		monthly = {**SALES_DAILY, "every": "month", "day": 31, "period": "last_month"}
		monthly.update(title=None, time="7:30")
		self.openai.script(call("subscribe", monthly))
		[question] = self.say("el día 31 de cada mes, las ventas del mes pasado")
		self.assertIn("del mes pasado", self.body(question))
		self.assertIn("el día 31 de cada mes a las 7:30", self.body(question))

	def test_fixed_dates_are_refused_with_a_question_back(self):
		fixed = {
			**SALES_DAILY,
			"period": None,
			"arguments": '{"from_date": "2026-12-05", "to_date": "2026-12-05"}',
		}
		self.openai.script(call("subscribe", fixed), echo_tool_result())
		[answer] = self.say("mándame las ventas del 5 de diciembre cada día a las 8")
		self.assertIn("no puede tener fechas fijas (2026-12-05)", self.body(answer))
		self.assertIn("¿Qué periodo quieres cada vez", self.body(answer))
		self.assertEqual(self.subscriptions(), [])

	def test_writes_and_unknown_commands_cannot_be_subscribed(self):
		todo = {**SALES_DAILY, "command": "create_todo", "arguments": '{"description": "x"}', "period": None}
		self.openai.script(call("subscribe", todo), echo_tool_result())
		[answer] = self.say("créame un ToDo cada día")
		self.assertIn("create_todo cambia datos", self.body(answer))
		# the storekeeper may not read Sales Invoices: sales_summary is not theirs to subscribe
		self.openai.script(call("subscribe", SALES_DAILY), echo_tool_result())
		[answer] = self.say("mándame las ventas de ayer cada día", self.STORE_MX)
		self.assertIn("No hay ningún comando sales_summary que puedas usar", self.body(answer))
		self.assertEqual(frappe.db.count(SUB), 0)

	def test_a_period_on_a_command_without_dates_is_refused(self):
		stock = {**SALES_DAILY, "command": "stock_balance", "arguments": '{"item": "TORN-M8"}'}
		self.openai.script(call("subscribe", stock), echo_tool_result())
		[answer] = self.say("el stock del TORN-M8 de ayer cada día")
		self.assertIn("stock_balance no tiene fechas que fijar", self.body(answer))


class TestListingAndStopping(SubscriptionTestCase):
	def setUp(self):
		super().setUp()
		self.daily = f.make_subscription(
			self.sales_contact,
			"sales_summary",
			period="Yesterday",
			title="Ventas de ayer, cada día a las 8:00",
		)
		self.weekly = f.make_subscription(
			self.sales_contact,
			"stock_balance",
			{"item": "TORN-M8"},
			frequency="Weekly",
			weekday="Friday",
			send_at="09:00:00",
		)

	def test_slash_subscriptions_lists_them_numbered(self):
		[listed] = self.say("/subscriptions")
		text = self.body(listed)
		self.assertIn("Reportes que te llegan solos:", text)
		self.assertIn("1. Ventas de ayer, cada día a las 8:00 (próximo:", text)
		# made in the Desk without a title: the command's /help line and the schedule, in Spanish
		self.assertIn("2. Existencias de un artículo por almacén, cada viernes a las 9:00", text)
		self.assertIn("/unsubscribe N", text)
		self.assertEqual(self.openai.requests, [])  # no model involved
		[none] = self.say("/subscriptions", self.STORE_MX)
		self.assertIn("No te llega ningún reporte solo", self.body(none))

	def test_slash_unsubscribe_n_stops_it_after_confirm(self):
		[question] = self.say("/unsubscribe 2")
		self.assertIn("¿Detener *Existencias de un artículo por almacén, cada viernes", self.body(question))
		self.assertTrue(frappe.db.exists(SUB, self.weekly.name))  # not before the Confirm
		self.assertIn("Detenido:", self.confirm(question))
		self.assertFalse(frappe.db.exists(SUB, self.weekly.name))
		self.assertTrue(frappe.db.exists(SUB, self.daily.name))
		[answer] = self.say("/unsubscribe 7")
		self.assertIn(
			"Ninguna de tus suscripciones coincide con “7”. Las tuyas:\n1. Ventas de ayer", self.body(answer)
		)

	def test_the_model_stops_one_named_in_words(self):
		self.openai.script(call("unsubscribe", {"subscription": "ventas"}))
		[question] = self.say("cancela la suscripción de ventas")
		self.assertIn("¿Detener *Ventas de ayer, cada día a las 8:00*?", self.body(question))
		self.confirm(question)
		self.assertEqual([s.name for s in self.subscriptions()], [self.weekly.name])

	def test_words_that_match_several_get_a_question_back(self):
		f.make_subscription(self.sales_contact, "sales_chart", {"by": "day"}, period="Last 7 Days")
		self.openai.script(call("unsubscribe", {"subscription": "ventas"}), echo_tool_result())
		[answer] = self.say("quita la de ventas")
		self.assertIn("Varias coinciden con “ventas”. ¿Cuál?", self.body(answer))
		self.assertEqual(len(self.subscriptions()), 3)

	def test_one_cannot_stop_someone_elses(self):
		[answer] = self.say("/unsubscribe 1", self.STORE_MX)  # the storekeeper has none of their own
		self.assertIn("No te llega ningún reporte solo", self.body(answer))
		self.assertTrue(frappe.db.exists(SUB, self.daily.name))


class TestDeskRules(SubscriptionTestCase):
	def test_a_manager_pauses_and_resumes_any(self):
		sub = f.make_subscription(self.sales_contact, "stock_balance", {"item": "TORN-M8"})
		sub.db_set("next_run_at", "2026-01-01 08:00:00")
		manager = f.make_manager("chatbot-subs-manager@example.com")
		frappe.set_user(manager)
		doc = frappe.get_doc(SUB, sub.name)
		doc.enabled = 0
		doc.save()
		self.assertEqual(doc.paused_reason, f"paused by {manager}")
		doc.enabled = 1
		doc.save()  # resumed: from the next 8:00, not the old due time
		self.assertIsNone(doc.paused_reason)
		self.assertGreater(get_datetime(doc.next_run_at), now_datetime())

	def test_a_manager_may_not_make_one_for_someone_more_privileged(self):
		boss = f.make_chat_user("chatbot-subs-boss@example.com", ("System Manager", "Sales User"))
		contact = f.make_contact("5215500001111", user=boss)
		frappe.set_user(f.make_manager("chatbot-subs-manager@example.com"))
		with self.assertRaises(frappe.PermissionError):
			f.make_subscription(contact, "stock_balance", {"item": "TORN-M8"})

	def test_the_desk_checks_the_command_as_the_user(self):
		with self.assertRaises(frappe.ValidationError) as raised:
			f.make_subscription(self.store_contact, "sales_summary", period="Yesterday")
		self.assertIn("sales_summary", str(raised.exception))
		with self.assertRaises(frappe.ValidationError):
			f.make_subscription(self.sales_contact, "sales_summary", {"from_date": "2026-01-01"})
