"""The tests' own hygiene: what a test run starts (gunicorn and its workers, sshd) is stopped however
the run ends (a class whose set-up fails, SIGTERM, Ctrl-C), what a SIGKILLed run left is stopped by
the next one, and users are made whatever Frappe's new-users-per-hour window holds. Real processes:
a "test run" here is a Python process of this bench that starts them, then is signalled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unittest

import frappe
import psutil

from whatsapp_chatbot.tests import children
from whatsapp_chatbot.tests import factories as f
from whatsapp_chatbot.tests.processes import WebServer, sites_path
from whatsapp_chatbot.tests.sshd import SSHServer, sshd_unavailable

# a run that starts a gunicorn (two workers) and an sshd, prints every pid, then waits to be stopped
RUN = """
import json, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as from a terminal, even if we were started with it ignored
import frappe
frappe.init(site=sys.argv[1], sites_path=".")
frappe.connect()
from whatsapp_chatbot.tests.processes import WebServer
import psutil
web = WebServer(workers=2, name="hygiene-run").start()
deadline = time.monotonic() + 30
while len(psutil.Process(web.process.pid).children()) < 2 and time.monotonic() < deadline:
    time.sleep(0.1)  # both workers forked
pids = [web.process.pid] + [c.pid for c in psutil.Process(web.process.pid).children(recursive=True)]
if sys.argv[2] == "1":
    from whatsapp_chatbot.tests.sshd import SSHServer
    sshd = SSHServer([]).start()
    pids.append(sshd.process.pid)
print(json.dumps(pids), flush=True)
time.sleep(600)
"""


def alive(pids: list[int]) -> list[int]:
	living = []
	for pid in pids:
		try:
			if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
				living.append(pid)
		except psutil.NoSuchProcess:
			pass
	return living


class TestChildProcesses(unittest.TestCase):
	def start_run(self) -> tuple[subprocess.Popen, list[int]]:
		run = subprocess.Popen(
			[sys.executable, "-c", RUN, frappe.local.site, "0" if sshd_unavailable() else "1"],
			cwd=sites_path(),
			stdout=subprocess.PIPE,
			text=True,
			start_new_session=True,
		)
		self.addCleanup(self.kill_all, run)
		pids = json.loads(run.stdout.readline() or "[]")
		self.assertGreaterEqual(len(pids), 3, "the run did not start its servers")
		self.pids = pids
		return run, pids

	def kill_all(self, run) -> None:
		"""Whatever the outcome, nothing of this test stays up."""
		for pid in [run.pid, *getattr(self, "pids", [])]:
			try:
				os.kill(pid, signal.SIGKILL)
			except ProcessLookupError:
				pass
		run.wait(10)

	def wait_gone(self, pids: list[int], timeout: float = 20) -> list[int]:
		deadline = time.monotonic() + timeout
		while alive(pids) and time.monotonic() < deadline:
			time.sleep(0.2)
		return alive(pids)

	def test_sigterm_stops_what_the_run_started(self):
		run, pids = self.start_run()
		run.send_signal(signal.SIGTERM)
		self.assertEqual(run.wait(30), -signal.SIGTERM)  # it still dies of the signal
		self.assertEqual(self.wait_gone(pids), [])

	def test_ctrl_c_stops_what_the_run_started(self):
		run, pids = self.start_run()
		run.send_signal(signal.SIGINT)
		self.assertNotEqual(run.wait(30), 0)  # KeyboardInterrupt, as before
		self.assertEqual(self.wait_gone(pids), [])

	def test_what_a_killed_run_left_is_stopped_by_the_next(self):
		run, pids = self.start_run()
		run.kill()
		run.wait(10)
		time.sleep(1)
		self.assertEqual(alive(pids), pids)  # SIGKILL: nothing could be done then
		stopped = children.reap_stale(say=lambda line: None)  # what the next run does first
		self.assertTrue(set(pids) <= set(stopped), (pids, stopped))
		self.assertEqual(self.wait_gone(pids), [])

	def test_a_class_whose_set_up_fails_stops_what_it_started(self):
		started = {}
		self.addCleanup(lambda: [p.kill() for p in map(psutil.Process, alive(list(started.values())))])

		class HalfSetUp(f.ChatbotTestCase):
			@classmethod
			def setUpClass(cls):
				super().setUpClass()
				cls.web = WebServer(workers=1, name="hygiene-class").start()
				started["web"] = cls.web.process.pid
				for worker in psutil.Process(cls.web.process.pid).children():
					started[worker.pid] = worker.pid
				if not sshd_unavailable():
					started["sshd"] = SSHServer([]).start().process.pid
				raise RuntimeError("set-up fails half-way")

			def test_never_runs(self):
				pass

		result = unittest.TestResult()
		unittest.TestSuite([HalfSetUp("test_never_runs")]).run(result)
		self.assertEqual(len(result.errors), 1)  # the set-up's error, reported
		self.assertEqual(self.wait_gone(list(started.values()), timeout=20), [])


class TestNewUsers(unittest.TestCase):
	"""Frappe counts the site's new Users of the last hour in every process; one that has not
	lifted `throttle_user_limit` refuses the next. A limit of 0 here stands for a window already
	full (another run, a benchmark, the remote's `bench execute` made 60 users this hour)."""

	def setUp(self):
		self.emails = [f"hygiene-{frappe.generate_hash(length=8)}@example.com" for _ in range(2)]
		self.previous = frappe.local.conf.get("throttle_user_limit")
		frappe.local.conf.throttle_user_limit = 0

	def tearDown(self):
		frappe.local.conf.throttle_user_limit = self.previous
		frappe.db.rollback()
		for email in self.emails:
			if frappe.db.exists("User", email):
				frappe.delete_doc("User", email, ignore_permissions=True, force=True)
		frappe.db.commit()

	def test_users_are_made_whatever_the_window_holds(self):
		from whatsapp_chatbot.tests.remote_users import make_api_user

		self.assertEqual(f.make_user(self.emails[0]), self.emails[0])
		self.assertEqual(make_api_user(self.emails[1], ["Stock User"])["user"], self.emails[1])
		self.assertEqual(frappe.local.conf.throttle_user_limit, 0)  # lifted around the insert only
