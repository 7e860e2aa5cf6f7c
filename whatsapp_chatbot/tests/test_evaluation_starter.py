"""The starter evaluation set in the real site: loaded on install and migrate (Frappe imports
fixtures/), a manager's edits and own cases kept when it is imported again, and a run of all of it,
write cases included, that leaves ERPNext untouched."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import frappe
from frappe.core.doctype.data_import.data_import import import_doc

from whatsapp_chatbot.evaluation import cases as case_store
from whatsapp_chatbot.evaluation import runner
from whatsapp_chatbot.tests.evaluation_cases import CASE, RESULT, RUN, EvaluationTestCase, make_case
from whatsapp_chatbot.tests.evaluation_stand_in import Oracle
from whatsapp_chatbot.tests.fake_openai import from_request
from whatsapp_chatbot.whatsapp_chatbot.doctype.chatbot_evaluation_case.chatbot_evaluation_case import hash_of

FIXTURE = Path(frappe.get_app_path("whatsapp_chatbot", "fixtures", "chatbot_evaluation_case.json"))
# what a write or a read could leave behind in ERPNext and in the app
WATCHED = (
	"Sales Order",
	"Quotation",
	"Sales Invoice",
	"Purchase Invoice",
	"Purchase Order",
	"Stock Entry",
	"Item",
	"Customer",
	"ToDo",
	"Comment",
	"File",
	"Version",
	"Communication",
	"Chatbot Command",
	"Chatbot Message",
	"Chatbot Subscription",
)
WRITES = {"create_sales_document", "create_todo", "submit_document", "cancel_document", "add_comment"}


def footprint() -> dict[str, tuple]:
	"""Per DocType: how many documents, and the latest change."""
	return {
		doctype: (frappe.db.count(doctype), frappe.db.sql(f"select max(modified) from `tab{doctype}`")[0][0])
		for doctype in WATCHED
		if frappe.db.exists("DocType", doctype)
	}


def import_fixture(docs: list[dict]) -> None:
	"""As Frappe's sync_fixtures imports a file of fixtures/ on migrate."""
	with tempfile.TemporaryDirectory() as folder:
		path = os.path.join(folder, "chatbot_evaluation_case.json")
		Path(path).write_text(json.dumps(docs))
		frappe.flags.in_fixtures = True
		try:
			import_doc(path)
		finally:
			frappe.flags.in_fixtures = False


class TestStarterSet(EvaluationTestCase):
	def test_the_starter_set_is_loaded_as_shipped(self):
		shipped = json.loads(FIXTURE.read_text())
		self.assertGreaterEqual(len(shipped), 150)
		self.assertEqual({d["language"] for d in shipped}, {"es", "en"})
		for doc in shipped:
			stored = frappe.get_doc(CASE, doc["name"])
			self.assertEqual(stored.starter_hash, hash_of(stored), doc["name"])  # nobody changed it here
			self.assertEqual(
				[(m.role, m.content) for m in stored.messages],
				[(m["role"], m["content"]) for m in doc["messages"]],
			)
			self.assertEqual(
				(stored.expect, stored.expected_command or ""), (doc["expect"], doc["expected_command"])
			)

	def test_a_run_of_the_whole_set_writes_nothing_and_a_perfect_model_passes_every_case(self):
		taken = case_store.select(None)
		starter = {d["name"] for d in json.loads(FIXTURE.read_text())}
		self.assertLessEqual(starter, {c.case_id for c in taken})
		self.openai.default = from_request(Oracle(taken).perfect)
		before = footprint()
		run = runner.create(None, None, 1)
		self.addCleanup(self._delete_run, run.name)
		frappe.db.commit()
		runner.execute(run.name)
		run.reload()
		self.assertEqual(footprint(), before)
		failed = frappe.get_all(
			RESULT, filters={"run": run.name, "passed": 0}, fields=["case", "called", "reasons", "error"]
		)
		self.assertEqual(failed, [])
		self.assertEqual((run.status, run.result_count, run.pass_rate), ("Completed", len(taken), 100))
		called = set(frappe.get_all(RESULT, filters={"run": run.name}, pluck="called"))
		self.assertLessEqual(WRITES, called)  # the set has write cases, and they were called

	def _delete_run(self, name: str) -> None:
		frappe.db.delete(RESULT, {"run": name})
		frappe.db.delete(RUN, {"name": name})
		frappe.db.commit()


class TestStarterSetImport(EvaluationTestCase):
	def shipped(self, key: str, arguments: dict, title: str) -> dict:
		return {
			"doctype": CASE,
			"name": f"{self.tag}-ship-{key}",
			"case_id": f"{self.tag}-ship-{key}",
			"title": title,
			"enabled": 1,
			"tags": self.tag,
			"language": "es",
			"roles": "Stock User",
			"messages": [
				{"doctype": "Chatbot Evaluation Message", "role": "user", "content": "stock del TORN-M8"}
			],
			"expect": "Command",
			"expected_command": "stock_balance",
			"expected_arguments": json.dumps(arguments),
		}

	def test_a_managers_edits_and_own_cases_survive_a_migrate_and_untouched_cases_update(self):
		import_fixture(
			[self.shipped("1", {"item": "TORN-M8"}, "v1"), self.shipped("2", {"item": "TORN-M8"}, "v1")]
		)
		edited, untouched = (frappe.get_doc(CASE, f"{self.tag}-ship-{k}") for k in ("1", "2"))
		self.assertEqual(edited.starter_hash, hash_of(edited))
		shipped_hash = edited.starter_hash

		edited.expected_arguments = json.dumps({"item": {"contains": "torn"}})  # a manager corrects it
		edited.enabled = 0
		edited.save(ignore_permissions=True)
		own = make_case(self.tag, "mine", "Answer", "", ["gracias"])
		own_modified = frappe.db.get_value(CASE, own, "modified")
		frappe.db.commit()

		# the app ships a new version of both
		import_fixture(
			[self.shipped("1", {"item": "TORN-M6"}, "v2"), self.shipped("2", {"item": "TORN-M6"}, "v2")]
		)
		edited, untouched = (frappe.get_doc(CASE, f"{self.tag}-ship-{k}") for k in ("1", "2"))
		self.assertEqual(
			(edited.title, json.loads(edited.expected_arguments), edited.enabled, edited.starter_hash),
			("v1", {"item": {"contains": "torn"}}, 0, shipped_hash),
		)
		self.assertEqual(
			(untouched.title, json.loads(untouched.expected_arguments)), ("v2", {"item": "TORN-M6"})
		)
		self.assertEqual(untouched.starter_hash, hash_of(untouched))
		self.assertNotEqual(untouched.starter_hash, shipped_hash)
		self.assertEqual(frappe.db.get_value(CASE, own, "modified"), own_modified)

		# a manager's own case under an id the app ships later is the manager's
		import_fixture([{**self.shipped("x", {"item": "TORN-M8"}, "shipped"), "name": own, "case_id": own}])
		self.assertEqual(frappe.db.get_value(CASE, own, ["title", "expect"]), ("mine", "Answer"))
