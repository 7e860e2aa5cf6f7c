"""Reading a row to change it with db_set, without Frappe reading it once more.

Frappe's first db_set on a document reads its row again, under a lock, as the state before the
change that on_change hooks compare against (a Notification on a value change, energy points).
When the row has just been read under that same lock, or inserted by this very transaction,
that state is already in hand: giving it saves a locking read of the whole row in every turn's
message, command and send."""

from __future__ import annotations

import frappe


def locked(doctype: str, name: str):
	"""`frappe.get_doc(doctype, name, for_update=True)`, ready for db_set."""
	return as_saved(frappe.get_doc(doctype, name, for_update=True))


def as_saved(doc):
	"""The document as its row now is in this transaction (read under lock, or just inserted) is
	the state before its next db_set."""
	doc._doc_before_save = frappe.get_doc(doc.as_dict())
	return doc
