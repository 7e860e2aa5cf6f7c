# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

"""An evaluation case: a short exchange and what the bot should do with it (evaluation/).

The starter set ships as fixtures/chatbot_evaluation_case.json, which Frappe imports on every
install and migrate by deleting each document and inserting the file's version. A manager's own
cases (other ids) are never touched; a starter case a manager changed (corrected, disabled) keeps
the manager's version: `prepare_for_import` hands Frappe the case as it is in the database instead
of the file's. A starter case nobody changed takes the app's newer version. Which is which: each
starter case remembers the content hash of the version the app shipped (starter_hash).
"""

import json
import re

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot.evaluation.fingerprint import content_hash
from whatsapp_chatbot.evaluation.scoring import COMMAND
from whatsapp_chatbot.review.untrusted_fields import ShownAsText

CASE = "Chatbot Evaluation Case"
CASE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,139}$")
KEPT = "whatsapp_chatbot_cases_kept"  # frappe.flags: starter cases re-inserted as the manager left them


class ChatbotEvaluationCase(ShownAsText, Document):
	def validate(self):
		self.case_id = (self.case_id or "").strip()
		if not CASE_ID.match(self.case_id):
			frappe.throw(_("Case ID: use lowercase letters, digits, - and _ (e.g. stock-es-001)"))
		if not self.messages or self.messages[-1].role != "user":
			frappe.throw(_("The last message of the exchange must be the user's"))
		if self.expect == COMMAND and not (self.expected_command or "").strip():
			frappe.throw(_("Name the command the bot should call"))
		arguments = self._json_object("expected_arguments")
		for name, spec in arguments.items():
			if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) == "one_of":
				if not isinstance(spec["one_of"], list):
					frappe.throw(_("Expected Arguments: {0}: one_of takes a list").format(name))
		self._json_object("simulated_results")
		self.tags = ", ".join(t.strip() for t in (self.tags or "").split(",") if t.strip())

	def _json_object(self, fieldname: str) -> dict:
		text = (self.get(fieldname) or "").strip()
		if not text:
			return {}
		try:
			value = json.loads(text)
		except ValueError as error:
			frappe.throw(_("{0} is not valid JSON: {1}").format(_(self.meta.get_label(fieldname)), error))
		if not isinstance(value, dict):
			frappe.throw(_("{0} must be a JSON object").format(_(self.meta.get_label(fieldname))))
		return value

	def after_insert(self):
		# a starter case imported from the app's file: remember the version shipped
		if frappe.flags.in_fixtures and self.name not in (frappe.flags.get(KEPT) or set()):
			self.db_set("starter_hash", hash_of(self), update_modified=False)

	@staticmethod
	def prepare_for_import(docdict):
		"""Called by Frappe's importer before it replaces a case with the file's version."""
		if not frappe.flags.in_fixtures or docdict.get("doctype") != CASE:
			return
		name = docdict.get("name")
		if not name or not frappe.db.exists(CASE, name):
			return
		current = frappe.get_doc(CASE, name)
		if current.starter_hash and hash_of(current) == current.starter_hash:
			return  # as shipped: the newer version replaces it
		kept = current.as_dict(convert_dates_to_str=True)
		docdict.clear()
		docdict.update(kept, __islocal=1)
		frappe.flags.setdefault(KEPT, set()).add(name)


def hash_of(case) -> str:
	return content_hash(case.as_dict(), [m.as_dict() for m in case.messages])
