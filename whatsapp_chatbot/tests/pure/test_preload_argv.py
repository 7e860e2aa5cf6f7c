"""preload.is_worker_command: which bench processes preload what a turn needs before forking."""

import unittest

from whatsapp_chatbot.preload import is_worker_command

HELPER = "/home/frappe/frappe-bench/apps/frappe/frappe/utils/bench_helper.py"


class TestIsWorkerCommand(unittest.TestCase):
	def test_worker_and_worker_pool_preload(self):
		self.assertTrue(is_worker_command([HELPER, "frappe", "worker", "--queue", "short"]))
		self.assertTrue(is_worker_command([HELPER, "frappe", "worker-pool", "--num-workers", "4"]))

	def test_a_site_given_before_the_command_still_counts(self):
		self.assertTrue(is_worker_command([HELPER, "frappe", "--site", "test.localhost", "worker"]))
		self.assertTrue(is_worker_command([HELPER, "frappe", "--site=test.localhost", "worker-pool"]))
		self.assertTrue(is_worker_command([HELPER, "frappe", "--verbose", "--site", "a.b", "worker"]))

	def test_other_commands_and_a_site_named_worker_do_not(self):
		self.assertFalse(is_worker_command([HELPER, "frappe", "--site", "worker", "migrate"]))
		self.assertFalse(is_worker_command([HELPER, "frappe", "serve", "--port", "8000"]))
		self.assertFalse(is_worker_command([HELPER, "frappe", "--site", "x", "execute", "worker"]))
		self.assertFalse(is_worker_command([HELPER]))
		self.assertFalse(is_worker_command(["gunicorn", "-b", "0.0.0.0:8000", "frappe.app:application"]))
