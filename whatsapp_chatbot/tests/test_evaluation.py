"""Evaluation runs in the real site against the OpenAI stand-in: the bot's real prompt and tool
schemas go out, a scripted perfect model scores 100 %, a wrong one what it should, malformed output
fails its case without stopping the run, runs compare with the previous one, and the Desk's Run
queues a long job for managers only."""

from __future__ import annotations

import json

import frappe

from whatsapp_chatbot.api import evaluation as api
from whatsapp_chatbot.evaluation import gate, report, runner, table
from whatsapp_chatbot.interpreter import prompt
from whatsapp_chatbot.interpreter.usage import Usage
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.evaluation_cases import PRICE, RESULT, RUN, STOCK_RESULT, EvaluationTestCase
from whatsapp_chatbot.tests.fake_openai import call, fail, say
from whatsapp_chatbot.tools import catalogue
from whatsapp_chatbot.tools.registry import REGISTRY


class TestEvaluationRuns(EvaluationTestCase):
	def test_a_perfect_model_scores_100_percent_with_the_real_prompt_and_tools(self):
		self.perfect()
		# each model call takes 20 ms, so the measured latency is the model's wait, not rounding noise
		self.openai.latency = 0.02
		try:
			run = self.evaluate()
		finally:
			self.openai.latency = 0.0
		self.assertEqual((run.status, run.case_count, run.result_count, run.passed), ("Completed", 6, 6, 6))
		self.assertEqual(run.pass_rate, 100)
		for part in ("command", "arguments", "asked", "refused", "language", "answer"):
			self.assertEqual(run.get(f"{part}_rate"), 100, part)
		results = self.results(run.name)
		self.assertEqual(results["a-stock#1"].called, "stock_balance")
		self.assertEqual(results["b-todo#1"].called, "create_todo")

		requests = self.openai.requests
		self.assertEqual(len(requests), 7)  # the stock case asks twice: its read is answered
		first = requests[0]
		self.assertEqual(first["messages"][0], {"role": "system", "content": prompt.INSTRUCTIONS})
		self.assertIn("If the message gives no clue, answer in Español.", first["messages"][1]["content"])
		self.assertEqual(first["messages"][-1], {"role": "user", "content": "cuanto stock ay del torn m8"})
		self.assertEqual(first["tools"], [c.tool() for c in catalogue.for_roles(["Stock User"])])
		self.assertFalse(first["parallel_tool_calls"])
		simulated = requests[1]["messages"][-1]
		self.assertEqual((simulated["role"], json.loads(simulated["content"])), ("tool", STOCK_RESULT))
		self.assertIn("Today is 2026-03-10.", requests[2]["messages"][1]["content"])  # the case's day
		refused = {t["function"]["name"] for t in requests[4]["tools"]}
		self.assertNotIn("overdue_invoices", refused)  # a Stock User is not offered it
		self.assertIn("stock_balance", refused)
		followup = requests[6]["messages"]
		self.assertEqual([m["role"] for m in followup[2:]], ["user", "assistant", "user"])

		# every request and answer is stored, the key never
		stored = json.loads(results["a-stock#1"].request)
		self.assertEqual(stored, requests[:2])
		self.assertEqual(
			json.loads(results["a-stock#1"].response)[1]["choices"][0]["message"]["content"][-3:], "150"
		)
		for row in results.values():
			self.assertNotIn("sk-test-key-evaluation", (row.request or "") + (row.response or ""))
		self.assertNotIn("sk-test", json.dumps(run.as_dict(), default=str))
		self.assertEqual(run.base_url, self.openai.base_url + "/")

		# tokens and cost from the Settings' price table, latency measured
		usage = Usage(run.prompt_tokens, run.cached_tokens, run.completion_tokens)
		self.assertGreater(run.prompt_tokens, 6 * 1000)  # the tools block alone is that big
		self.assertAlmostEqual(run.cost, usage.cost(PRICE), places=6)  # stored to 6 places
		self.assertGreaterEqual(run.latency_avg, 0.02)  # a case makes one or two calls of 20 ms
		self.assertLess(run.latency_avg, 5)
		self.assertEqual(run.fingerprint, gate.current_fingerprint())

	def test_a_wrong_model_scores_what_it_should(self):
		self.openai.script(
			call("pending_sales_orders", {"customer": None, "limit": None}),  # a-stock: the wrong command
			call("create_todo", {"description": "Llamar a Globex", "date": "2026-03-11"}),  # b: wrong words
			say("Listo, ya te hice la cotización."),  # c: did not ask which customer
			say("Here are the overdue invoices: none."),  # d: no refusal, and in English
			say("You're welcome!"),  # e: right
			call("stock_balance", {"item": "TORN-M8", "warehouse": "Stores"}),  # f: wrong warehouse
		)
		run = self.evaluate()
		results = self.results(run.name)
		verdicts = {key: (r.passed, r.command_right, r.arguments_right) for key, r in results.items()}
		self.assertEqual(
			verdicts,
			{
				"a-stock#1": (0, "No", "No"),
				"b-todo#1": (0, "Yes", "No"),
				"c-question#1": (0, "Yes", ""),
				"d-refusal#1": (0, "Yes", ""),
				"e-answer#1": (1, "Yes", ""),
				"f-followup#1": (0, "Yes", "No"),
			},
		)
		self.assertEqual(results["c-question#1"].asked_right, "No")
		self.assertEqual(
			(results["d-refusal#1"].refused_right, results["d-refusal#1"].language_right), ("No", "No")
		)
		self.assertEqual(results["a-stock#1"].answer_right, "No")
		self.assertIn(
			'description: expected {"contains": "acme"}, got "Llamar a Globex"', results["b-todo#1"].reasons
		)
		self.assertEqual(
			(run.passed, run.pass_rate, run.command_rate, run.arguments_rate), (1, 16.7, 83.3, 0)
		)
		self.assertEqual((run.asked_rate, run.refused_rate, run.language_rate), (0, 0, 66.7))
		self.assertEqual(run.errors, 0)

	def test_malformed_output_fails_the_case_and_the_run_goes_on(self):
		self.openai.script(
			call("stock_balance", "{not json"),
			call("stock_levels", {"item": "TORN-M8"}),
			fail(500),
			call("create_todo", {"description": 5, "date": None}),
			say("You're welcome!"),
			call("stock_balance", {"item": "TORN-M8", "warehouse": "Tienda Centro"}),
		)
		run = self.evaluate()
		self.assertEqual((run.status, run.result_count, run.passed, run.errors), ("Completed", 6, 2, 4))
		results = self.results(run.name)
		self.assertIn("arguments are not valid JSON", results["a-stock#1"].reasons)
		self.assertIn("stock_levels: not a tool this user is offered", results["b-todo#1"].reasons)
		self.assertIn("fake error 500", results["c-question#1"].error)
		self.assertEqual(json.loads(results["c-question#1"].response)[0]["status"], 500)
		self.assertIn("arguments.description must be string", results["d-refusal#1"].reasons)
		self.assertEqual((results["e-answer#1"].passed, results["f-followup#1"].passed), (1, 1))

	def test_a_model_that_keeps_reading_stops_at_the_step_limit(self):
		stock = {"item": "TORN-M8", "warehouse": None}
		self.openai.script(*[call("stock_balance", stock) for _ in range(6)])
		run = self.evaluate(f"{self.tag}, a-stock")
		[result] = self.results(run.name).values()
		self.assertEqual(len(self.openai.requests), 4)  # the Settings' max_tool_steps
		self.assertEqual((result.passed, result.steps), (0, 4))
		self.assertIn("still calling tools after 4 steps", result.reasons)

	def test_runs_compare_with_the_previous_run_of_the_same_cases(self):
		self.perfect()
		first = self.evaluate()
		self.openai.default = say("No sé.")
		second = self.evaluate()
		self.assertEqual((second.previous_run, second.better, second.worse), (first.name, 0, 5))
		self.assertEqual(
			json.loads(second.comparison)["worse"],
			[f"{self.tag}-{k}" for k in ("a-stock", "b-todo", "c-question", "d-refusal", "f-followup")],
		)
		self.perfect()
		third = self.evaluate()
		self.assertEqual((third.previous_run, third.better, third.worse), (second.name, 5, 0))
		# another filter is other cases: not compared
		other = self.evaluate(f"{self.tag}, c-question")
		self.assertIsNone(other.previous_run)
		text = table.totals_text(report.figures(third), report.changes(third), third.previous_run)
		self.assertIn(f"against {second.name}: better 5", text)

	def test_repeat_runs_each_case_again(self):
		self.perfect()
		run = self.evaluate(f"{self.tag}, a-stock", repeat=3)
		self.assertEqual(sorted(self.results(run.name)), ["a-stock#1", "a-stock#2", "a-stock#3"])
		self.assertEqual((run.result_count, run.passed), (3, 3))
		self.assertEqual(len(self.openai.requests), 6)

	def test_another_model_is_asked_and_priced_as_such(self):
		self.perfect()
		run = self.evaluate(f"{self.tag}, e-answer", model="gpt-4.1-nano")
		self.assertEqual(self.openai.requests[0]["model"], "gpt-4.1-nano")
		self.assertEqual((run.model, run.cost), ("gpt-4.1-nano", 0))  # no price row for it

	def test_the_gate_knows_whether_these_instructions_and_tools_were_evaluated(self):
		self.perfect()
		run = self.evaluate(f"{self.tag}, e-answer")
		current = gate.current_fingerprint()
		self.assertEqual(gate.on_record(current).fingerprint, current)
		self.assertIn(f"{current} were evaluated in", gate.line())
		stock = REGISTRY["stock_balance"]
		described = stock.description
		stock.description = described + " Per warehouse."  # as a developer would edit it
		try:
			changed = gate.current_fingerprint()
			self.assertNotEqual(changed, current)
			self.assertIsNone(gate.on_record(changed))
			self.assertIn(f"{changed} have NO evaluation run on record", gate.line())
			self.assertIn(f"evaluated {current}", gate.line())
		finally:
			stock.description = described
		self.assertEqual(gate.current_fingerprint(), run.fingerprint)
		# a run the endpoint never answered evaluated nothing
		self.openai.script(fail(500))
		unanswered = self.evaluate(f"{self.tag}, e-answer")
		self.assertEqual((unanswered.status, unanswered.errors), ("Completed", 1))
		self.assertTrue(gate.answered(run))
		self.assertFalse(gate.answered(unanswered))
		self.assertNotEqual(gate.on_record(current).name, unanswered.name)


class TestEvaluationFromTheDesk(EvaluationTestCase):
	def test_run_queues_a_long_job_for_managers_only(self):
		manager = f.make_manager(f"chatbot-eval-manager-{self.tag}@example.com")
		clerk = f.make_chat_user(f"chatbot-eval-clerk-{self.tag}@example.com")
		self.addCleanup(frappe.delete_doc, "User", manager, force=True, ignore_permissions=True)
		self.addCleanup(frappe.delete_doc, "User", clerk, force=True, ignore_permissions=True)
		self.perfect()
		draft = runner.create(None, f"{self.tag}, a-stock", 1)
		frappe.db.commit()

		frappe.set_user(clerk)
		with self.assertRaises(frappe.PermissionError):
			api.start_run(draft.name)
		with self.assertRaises(frappe.PermissionError):
			api.run_report(draft.name)
		frappe.set_user(manager)
		self.assertEqual(api.start_run(draft.name), draft.name)
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value(RUN, draft.name, "status"), "Queued")
		jobs = [j for j in f.queued_jobs("long") if j.kwargs.get("kwargs", {}).get("run") == draft.name]
		self.assertEqual(len(jobs), 1)
		f.run_jobs(queues=("long",))
		done = frappe.get_doc(RUN, draft.name)
		self.assertEqual((done.status, done.passed, done.progress), ("Completed", 1, 100))
		shown = api.run_report(draft.name)
		self.assertEqual([(r["case"], r["passed"]) for r in shown["rows"]], [(f"{self.tag}-a-stock", True)])
		self.assertEqual(shown["figures"]["pass_rate"], 100)

		# a finished run runs again as a new run
		again = api.start_run(draft.name)
		self.assertNotEqual(again, draft.name)
		frappe.db.commit()
		f.run_jobs(queues=("long",))
		self.assertEqual(frappe.get_doc(RUN, again).previous_run, draft.name)
		frappe.set_user("Administrator")
		frappe.delete_doc(RUN, again, ignore_permissions=True)
		self.assertFalse(frappe.db.exists(RESULT, {"run": again}))
		self.assertIsNone(frappe.db.get_value(RUN, draft.name, "previous_run"))
