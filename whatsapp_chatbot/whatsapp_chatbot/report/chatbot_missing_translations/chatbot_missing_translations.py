"""Chatbot Missing Translations: the bot's sentences that have no translation in the languages its
contacts read (their languages, and the site's and the chatbot's default), and where the code says
them. A language the bot cannot say every sentence in is answered in English whole, so one
missing row means English for everyone reading that language: add it as a Translation (Desk:
Translation, source text = the English sentence) or in translations/<lang>.csv."""

import frappe
from frappe import _

from whatsapp_chatbot import i18n, msgids, permissions


def execute(filters=None):
	permissions.require_manager()
	filters = frappe._dict(filters or {})
	languages = [i18n.normalise(filters.language)] if filters.language else i18n.languages_in_use()
	catalogue = msgids.catalogue()
	rows, summary = [], []
	for language in languages:
		missing = i18n.missing(language)
		rows += [
			{"language": language, "source_text": msgid, "where": ", ".join(catalogue.get(msgid, ()))}
			for msgid in missing
		]
		summary.append(
			{
				"value": f"{len(catalogue) - len(missing)} / {len(catalogue)}",
				"label": _("{0}: translated").format(language),
				"datatype": "Data",
				"indicator": "Red" if missing else "Green",
			}
		)
	return columns(), rows, None, None, summary


def columns() -> list[dict]:
	return [
		{
			"fieldname": "language",
			"label": _("Language"),
			"fieldtype": "Link",
			"options": "Language",
			"width": 90,
		},
		{"fieldname": "source_text", "label": _("English Sentence"), "fieldtype": "Data", "width": 480},
		{"fieldname": "where", "label": _("Where"), "fieldtype": "Data", "width": 300},
	]
