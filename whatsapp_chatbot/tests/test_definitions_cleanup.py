"""Tests remove the Command Definitions they make, which users see (/help lists them, the model is
offered them, the Desk shows them), on every way out (tests/definitions.py): a test that fails and a
class whose set-up fails half-way leave none behind, each run names its own, and neither this site
nor the bench's other site holds one a test made (a run that leaked one fails here next time)."""

from __future__ import annotations

import unittest

import frappe

from whatsapp_chatbot.tests import definitions
from whatsapp_chatbot.tests.long_task import define_slow_command
from whatsapp_chatbot.tests.progress_task import define_todo_command
from whatsapp_chatbot.tests.remote_users import REMOTE_SITE, on_site, remote_unavailable

DEFINITION = "Chatbot Command Definition"


class TestDefinitionsGoWithTheirTests(unittest.TestCase):
	def test_a_failing_test_removes_its_definition(self):
		made = []

		class Failing(unittest.TestCase):
			def test_it(self):
				made.append(define_slow_command(self.addCleanup))
				self.assertTrue(frappe.db.exists(DEFINITION, made[-1]))
				self.fail("on purpose, after defining")

		result = unittest.TestResult()
		Failing("test_it").run(result)
		self.assertEqual(len(result.failures), 1, result.errors)
		self.assertTrue(made[0].startswith("pasos_lentos_"), made)
		self.assertFalse(frappe.db.exists(DEFINITION, made[0]))
		self.assertFalse(frappe.db.exists("Chatbot Command Parameter", {"parent": made[0]}))

	def test_a_class_whose_set_up_fails_half_way_removes_its_definition(self):
		made = []

		class BrokenSetUp(unittest.TestCase):
			@classmethod
			def setUpClass(cls):
				made.append(define_todo_command(cls.addClassCleanup))
				raise RuntimeError("set-up fails after defining")

			def test_it(self):
				pass

		result = unittest.TestResult()
		unittest.TestSuite([BrokenSetUp("test_it")]).run(result)  # as the runner runs a class
		self.assertEqual(len(result.errors), 1, result.errors)
		self.assertIn("set-up fails after defining", result.errors[0][1])
		self.assertFalse(frappe.db.exists(DEFINITION, made[0]))

	def test_each_run_names_its_own(self):
		first = define_slow_command(self.addCleanup)
		second = define_slow_command(self.addCleanup)
		self.assertNotEqual(first, second)
		self.assertIn("for tests", frappe.db.get_value(DEFINITION, first, "description"))
		self.assertEqual(set(definitions.left_behind()) & {first, second}, {first, second})

	def test_no_definition_a_test_made_is_left_here(self):
		self.assertEqual(definitions.left_behind(), [])

	def test_no_definition_a_test_made_is_left_on_the_other_site(self):
		reason = remote_unavailable()
		if reason:
			self.skipTest(reason)
		# `bench execute` prints nothing for an empty list
		left = on_site(REMOTE_SITE, "whatsapp_chatbot.tests.definitions.left_behind") or []
		self.assertEqual(left, [])
