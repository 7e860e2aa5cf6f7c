# Copyright (c) 2026, whatsapp_chatbot developers
# For license information, please see license.txt

import json
import re

import frappe
from frappe import _
from frappe.model.document import Document

from whatsapp_chatbot.channel import template_message
from whatsapp_chatbot.review.untrusted_fields import ShownAsText

# Meta's rule for a template's name; it also keeps markup out of the title and the name
NAME = re.compile(r"[a-z0-9_]{1,512}")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?")


class ChatbotTemplate(ShownAsText, Document):
	def validate(self):
		if not NAME.fullmatch(self.template_name or ""):
			frappe.throw(
				_("A template name has only lowercase letters, digits and underscores, as Meta requires")
			)
		if not LANGUAGE.fullmatch(self.language or ""):
			frappe.throw(_("The language is Meta's code, such as es, en or pt_BR"))
		self.status = self.status or "Not Submitted"
		self.parameters = self.definition().summary() if self.components_list() else None

	def components_list(self) -> list:
		try:
			components = json.loads(self.components or "[]")
		except ValueError:
			frappe.throw(_("Components must be Meta's components as JSON (a list)"))
		if not isinstance(components, list):
			frappe.throw(_("Components must be Meta's components as JSON (a list)"))
		return components

	def definition(self) -> template_message.Definition:
		return template_message.Definition.from_components(self.components_list(), self.parameter_format)
