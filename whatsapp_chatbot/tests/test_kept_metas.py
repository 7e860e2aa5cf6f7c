"""This app's DocType metas kept between requests and jobs (kept_metas.py), in the real site: the
same meta while Frappe's metadata_version stands, a fresh one after a label is customized, none
kept while a version is new, and only this app's DocTypes. Each "request" starts as Frappe starts
one: with an empty frappe.local.cache. A version is made to have stood long enough by giving the
time it was first seen, in Redis, as the processes would have agreed on it.
"""

from __future__ import annotations

import hashlib
import time

import frappe
import redis
from frappe.tests.utils import FrappeTestCase

from whatsapp_chatbot import kept_metas

MESSAGE = "Chatbot Message"


def new_request() -> None:
	frappe.local.cache = {}
	kept_metas.seed()


def settle_current_version() -> None:
	version = redis.Redis.get(frappe.cache, frappe.cache.make_key("metadata_version"))
	key = frappe.cache.make_key(kept_metas.SINCE_KEY + hashlib.sha1(version or b"").hexdigest())
	redis.Redis.set(frappe.cache, key, repr(time.time() - kept_metas.SETTLE_SECONDS - 1))
	kept_metas._sites.pop(frappe.local.site, None)  # this process learns it at its next request


class TestKeptMetas(FrappeTestCase):
	def tearDown(self):
		frappe.local.cache = {}

	def read_once(self, *doctypes: str) -> dict:
		new_request()
		metas = {doctype: frappe.get_meta(doctype) for doctype in doctypes}
		kept_metas.keep()
		return metas

	def test_the_same_meta_from_request_to_request_once_settled(self):
		settle_current_version()
		first = self.read_once(MESSAGE, "Item")
		new_request()
		self.assertIs(frappe.get_meta(MESSAGE), first[MESSAGE])  # kept: not unpickled again
		self.assertIsNot(frappe.get_meta("Item"), first["Item"])  # ERPNext's: read as Frappe reads it

	def test_nothing_is_kept_while_a_version_is_new(self):
		settle_current_version()
		self.read_once(MESSAGE)
		frappe.clear_cache(doctype=MESSAGE)  # a new version, as any change to the DocType gives
		first = self.read_once(MESSAGE)
		new_request()
		self.assertIsNot(frappe.get_meta(MESSAGE), first[MESSAGE])

	def test_a_customized_label_is_in_the_next_requests_meta(self):
		settle_current_version()
		before = self.read_once(MESSAGE)[MESSAGE].get_label("profile_name")
		label = f"Kept {frappe.generate_hash(length=6)}"
		# Customize Form's way: a Property Setter, and Frappe's clear_cache(doctype=...)
		frappe.make_property_setter(
			{"doctype": MESSAGE, "fieldname": "profile_name", "property": "label", "value": label}
		)
		setter = frappe.db.get_value(
			"Property Setter", {"doc_type": MESSAGE, "field_name": "profile_name", "property": "label"}
		)
		self.addCleanup(self.remove, setter, before)
		frappe.db.commit()
		new_request()
		self.assertEqual(frappe.get_meta(MESSAGE).get_label("profile_name"), label)
		kept_metas.keep()
		settle_current_version()  # the change long past: kept again, with the label
		kept = self.read_once(MESSAGE)[MESSAGE]
		new_request()
		self.assertIs(frappe.get_meta(MESSAGE), kept)
		self.assertEqual(kept.get_label("profile_name"), label)

	def remove(self, setter: str, label: str) -> None:
		frappe.delete_doc("Property Setter", setter)
		frappe.db.commit()
		new_request()
		self.assertEqual(frappe.get_meta(MESSAGE).get_label("profile_name"), label)
