"""A language's merged translations kept between jobs (kept_translations.py), in the real site: the
same table while nothing changed, a fresh one as soon as a Translation record is saved, deleted or
renamed (its language's variants too), or Frappe drops its translations (migrate, Customize Form);
two processes share one stamp. Each "job" starts as Frappe starts one: with an empty frappe.local.cache.
"""

from __future__ import annotations

import frappe
import redis
from frappe.tests.utils import FrappeTestCase
from frappe.translate import MERGED_TRANSLATION_KEY

from whatsapp_chatbot import kept_translations


def new_job() -> None:
	frappe.local.cache = {}


def stamp(language: str) -> str | None:
	value = redis.Redis.hget(
		frappe.cache, frappe.cache.make_key(MERGED_TRANSLATION_KEY), kept_translations.STAMP_PREFIX + language
	)
	return value.decode() if value else None


class TestKeptTranslations(FrappeTestCase):
	def setUp(self):
		self.source = f"Kept sentence {frappe.generate_hash(length=8)}"
		self.addCleanup(self.remove_translations)

	def remove_translations(self):
		for name in frappe.get_all("Translation", {"source_text": self.source}, pluck="name"):
			frappe.delete_doc("Translation", name)
		frappe.db.commit()
		new_job()

	def translate(self, language: str, text: str):
		doc = frappe.get_doc(
			{
				"doctype": "Translation",
				"language": language,
				"source_text": self.source,
				"translated_text": text,
			}
		).insert()
		frappe.db.commit()  # dropped once committed
		new_job()
		return doc

	def test_the_same_table_from_job_to_job_until_a_translation_changes(self):
		new_job()
		first = kept_translations.table("es")
		new_job()
		self.assertIs(kept_translations.table("es"), first)  # kept: not read from Redis again
		self.assertIs(frappe.translate.get_all_translations("es"), first)  # what Frappe's _() reads
		self.assertNotIn(self.source, first)

		doc = self.translate("es", "Frase guardada")
		saved = kept_translations.table("es")
		self.assertIsNot(saved, first)
		self.assertEqual(saved[self.source], "Frase guardada")
		self.assertEqual(frappe._(self.source, lang="es"), "Frase guardada")

		doc.translated_text = "Frase corregida"
		doc.save()
		frappe.db.commit()
		new_job()
		self.assertEqual(kept_translations.table("es")[self.source], "Frase corregida")

		frappe.delete_doc("Translation", doc.name)
		frappe.db.commit()
		new_job()
		self.assertNotIn(self.source, kept_translations.table("es"))

	def test_a_change_not_committed_is_not_kept_as_read(self):
		new_job()
		first = kept_translations.table("es")
		frappe.get_doc(
			{
				"doctype": "Translation",
				"language": "es",
				"source_text": self.source,
				"translated_text": "Nunca",
			}
		).insert()
		frappe.db.rollback()
		new_job()
		self.assertIs(kept_translations.table("es"), first)
		self.assertNotIn(self.source, kept_translations.table("es"))

	def test_a_variant_follows_its_language(self):
		new_job()
		mexican = kept_translations.table("es-MX")
		self.assertNotIn(self.source, mexican)
		self.translate("es", "Frase del español")
		self.assertEqual(kept_translations.table("es-MX")[self.source], "Frase del español")

	def test_moved_to_another_language_both_change(self):
		doc = self.translate("es", "Frase española")
		self.assertEqual(kept_translations.table("es")[self.source], "Frase española")
		kept_translations.table("pt")
		doc.language = "pt"
		doc.save()
		frappe.db.commit()
		new_job()
		self.assertNotIn(self.source, kept_translations.table("es"))
		self.assertEqual(kept_translations.table("pt")[self.source], "Frase española")

	def test_frappe_dropping_its_translations_drops_the_kept_table(self):
		new_job()
		first = kept_translations.table("es")
		frappe.translate.clear_cache()  # migrate; a label changed in Customize Form
		new_job()
		self.assertIsNot(kept_translations.table("es"), first)

	def test_a_second_process_adopts_the_stamp_rather_than_replace_it(self):
		new_job()
		kept_translations.table("es")
		written = stamp("es")
		self.assertTrue(written)
		kept_translations._kept.clear()  # another worker, which has kept nothing yet
		new_job()
		second = kept_translations.table("es")
		self.assertEqual(stamp("es"), written)
		new_job()
		self.assertIs(kept_translations.table("es"), second)
