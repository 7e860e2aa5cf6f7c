# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot.review.untrusted_fields import ShownAsText

MAX_REPEAT = 20


class ChatbotEvaluationRun(ShownAsText, Document):
	def validate(self):
		self.repeat = self.repeat or 1
		if not 1 <= self.repeat <= MAX_REPEAT:
			frappe.throw(_("Repeat must be between 1 and {0}").format(MAX_REPEAT))
		self.model = (self.model or "").strip() or None

	def check_idle(self):
		if self.status in ("Queued", "Running") and not self._job_gone():
			frappe.throw(_("This run is still going: wait until it ends"))

	def _job_gone(self) -> bool:
		"""A Desk run whose job no longer exists (a killed worker) may be run again or deleted."""
		from frappe.utils.background_jobs import is_job_enqueued

		return bool(self.job_id) and not is_job_enqueued(self.job_id)

	def on_trash(self):
		self.check_idle()
		frappe.db.delete("Chatbot Evaluation Result", {"run": self.name})
		# later runs compared themselves with this one
		frappe.db.set_value(
			"Chatbot Evaluation Run", {"previous_run": self.name}, "previous_run", None, update_modified=False
		)
