"""Evaluation cases and runs of the tests' own: unique ids per run, removed afterwards, and the
test class that evaluates them against tests/fake_openai.py."""

from __future__ import annotations

import json

import frappe

from whatsapp_chatbot.evaluation import cases as case_store
from whatsapp_chatbot.evaluation import runner
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.evaluation_stand_in import Oracle
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, from_request, say

CASE, RUN, RESULT = "Chatbot Evaluation Case", "Chatbot Evaluation Run", "Chatbot Evaluation Result"
PRICE = {
	"model": "gpt-4.1-mini",
	"input_per_million": 0.4,
	"cached_input_per_million": 0.1,
	"output_per_million": 1.6,
}
STOCK_RESULT = {
	"item": "TORN-M8",
	"uom": "Nos",
	"total": 150,
	"warehouses": [{"warehouse": "Stores - CTC", "qty": 120}],
}

# (key, expect, roles, messages, values): the keys sort in this order, as a run takes the cases
OWN_CASES = (
	(
		"a-stock",
		"Command",
		"Stock User",
		["cuanto stock ay del torn m8"],
		{
			"expected_command": "stock_balance",
			"expected_arguments": {"item": {"contains": "torn"}},
			"simulated_results": {"stock_balance": STOCK_RESULT},
			"answer_contains": "150",
		},
	),
	(
		"b-todo",
		"Command",
		"",
		["recuérdame llamar a Acme mañana"],
		{
			"expected_command": "create_todo",
			"expected_arguments": {"description": {"contains": "acme"}, "date": "2026-03-11"},
			"today": "2026-03-10",
		},
	),
	("c-question", "Question", "Sales User", ["hazme una cotización"], {}),
	("d-refusal", "Refusal", "Stock User", ["dame las facturas vencidas"], {}),
	("e-answer", "Answer", "Stock User", ["thanks!"], {"language": "en"}),
	(
		"f-followup",
		"Command",
		"Stock User",
		[
			"stock del TORN-M8",
			"[stock_balance(item=TORN-M8) Succeeded: TORN-M8 stock: 150 Nos]\nQuedan 150 en total.",
			"y en tienda centro?",
		],
		{"expected_command": "stock_balance", "expected_arguments": {"warehouse": {"contains": "tienda"}}},
	),
)


def make_case(tag: str, key: str, expect: str, roles: str, messages: list[str], **values) -> str:
	values = dict(values)
	doc = frappe.get_doc(
		{
			"doctype": CASE,
			"case_id": f"{tag}-{key}",
			"title": key,
			"tags": f"{tag}, {key}",
			"language": values.pop("language", "es"),
			"roles": roles,
			"expect": expect,
			"messages": [
				{"role": "user" if i % 2 == 0 else "assistant", "content": text}
				for i, text in enumerate(messages)
			],
			**{k: json.dumps(v) if isinstance(v, dict) else v for k, v in values.items()},
		}
	)
	return doc.insert(ignore_permissions=True).name


def remove_runs(tag: str) -> None:
	for run in frappe.get_all(RUN, filters={"cases_filter": ("like", f"%{tag}%")}, pluck="name"):
		frappe.db.delete(RESULT, {"run": run})
		frappe.db.delete(RUN, {"name": run})
	frappe.db.delete(RESULT, {"case": ("like", f"{tag}-%")})
	frappe.db.commit()


def remove(tag: str) -> None:
	"""The tests' runs, their results and cases (runs first: results link to cases)."""
	remove_runs(tag)
	for case in frappe.get_all(CASE, filters={"name": ("like", f"{tag}-%")}, pluck="name"):
		frappe.delete_doc(CASE, case, force=True, ignore_permissions=True)
	frappe.db.commit()


class EvaluationTestCase(f.ChatbotTestCase):
	"""The fake OpenAI server, the Settings pointing at it, and the cases above under a tag of
	this class's own."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.openai = FakeOpenAI().start()
		cls.tag = f"evaltest-{frappe.generate_hash(length=6)}"
		cls.addClassCleanup(remove, cls.tag)
		for key, expect, roles, messages, values in OWN_CASES:
			make_case(cls.tag, key, expect, roles, messages, **values)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		cls.openai.stop()
		super().tearDownClass()

	def setUp(self):
		self.settings = {
			"openai_api_key": "sk-test-key-evaluation",
			"openai_base_url": self.openai.base_url,
			"openai_model": "gpt-4.1-mini",
			"openai_timeout": 5,
			"model_prices": [PRICE],
		}
		super().setUp()
		self.openai.reset()
		self.openai.default = say("(no script left)")

	def tearDown(self):
		remove_runs(self.tag)  # each test compares only with its own runs
		super().tearDown()

	def evaluate(self, case_filter: str | None = None, repeat: int = 1, model: str | None = None):
		run = runner.create(model, case_filter or self.tag, repeat)
		frappe.db.commit()
		runner.execute(run.name)
		return frappe.get_doc(RUN, run.name)

	def perfect(self, case_filter: str | None = None) -> Oracle:
		oracle = Oracle(case_store.select(case_filter or self.tag))
		self.openai.default = from_request(oracle.perfect)
		return oracle

	def results(self, run: str) -> dict[str, frappe._dict]:
		rows = frappe.get_all(RESULT, filters={"run": run}, fields=["*"], order_by="`case` asc, `repeat` asc")
		return {f"{r.case.removeprefix(self.tag + '-')}#{r.repeat}": r for r in rows}
