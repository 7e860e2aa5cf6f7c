"""A job's time budget for network waits (jobs/budget.py), on a clock the test moves."""

import unittest

from whatsapp_chatbot.jobs import budget
from whatsapp_chatbot.jobs.budget import Budget, CallOptions, call_options, wait_for


class Clock:
	def __init__(self):
		self.now = 1000.0

	def __call__(self) -> float:
		return self.now


class TestBudget(unittest.TestCase):
	def test_the_reserve_is_kept_for_the_apology(self):
		clock = Clock()
		spent = Budget.for_job(300, clock=clock)
		self.assertEqual(spent.remaining(), 300 - budget.RESERVE_SECONDS)
		clock.now += 100
		self.assertEqual(spent.remaining(), 200 - budget.RESERVE_SECONDS)
		clock.now += 1000
		self.assertEqual(spent.remaining(), 0)  # never negative
		self.assertEqual(Budget.for_job(10, clock=clock).remaining(), 0)  # a timeout under the reserve

	def test_a_wait_is_the_smaller_of_its_limit_and_what_is_left(self):
		self.assertEqual(wait_for(100, 20), 20)
		self.assertEqual(wait_for(7.5, 20), 7.5)
		self.assertIsNone(wait_for(0.5, 20))  # too short to be worth starting
		self.assertIsNone(wait_for(0, 20))

	def test_retries_only_while_they_fit(self):
		# the default: 30 s a call, the SDK's 2 retries and its longest sleep (60 s) each
		self.assertEqual(call_options(270, 30), CallOptions(30, 2))  # 3 × 30 + 2 × 60 = 210
		self.assertEqual(call_options(209, 30), CallOptions(30, 1))  # 2 × 30 + 60 = 120
		self.assertEqual(call_options(119, 30), CallOptions(30, 0))
		self.assertEqual(call_options(12, 30), CallOptions(12, 0))  # one shorter attempt
		self.assertIsNone(call_options(0.2, 30))
		self.assertEqual(call_options(1000, 30, retries=0), CallOptions(30, 0))  # never more than asked
		self.assertEqual(call_options(1000, 30, retry_sleep=0), CallOptions(30, 2))

	def test_every_call_of_a_turn_fits_the_job(self):
		"""Calls taking their whole timeout with every retry, one after another, never pass the end."""
		for job_timeout, limit in ((300, 30), (300, 120), (60, 30), (45, 5), (1500, 600)):
			clock = Clock()
			start = clock.now
			spent = Budget.for_job(job_timeout, clock=clock)
			for _call in range(20):
				options = spent.call(limit)
				if options is None:
					break
				clock.now += options.timeout * (1 + options.max_retries) + 60 * options.max_retries
				self.assertLessEqual(clock.now - start, job_timeout - budget.RESERVE_SECONDS)
			self.assertIsNone(spent.call(limit), (job_timeout, limit))

	def test_hand_over_when_a_turn_no_longer_fits(self):
		clock = Clock()
		spent = Budget.for_job(300, clock=clock)
		self.assertFalse(spent.hand_over())
		clock.now += 300 - budget.RESERVE_SECONDS - budget.HANDOVER_SECONDS + 1
		self.assertTrue(spent.hand_over())

	def test_the_reserve_is_left_for_the_sends(self):
		clock = Clock()
		spent = Budget.for_job(300, clock=clock)
		clock.now += 300 - budget.RESERVE_SECONDS
		self.assertEqual(spent.remaining(), 0)  # no more model calls
		self.assertEqual(spent.left(), budget.RESERVE_SECONDS)  # the apology can still go
		clock.now += budget.RESERVE_SECONDS
		self.assertEqual(spent.left(), 0)
		self.assertEqual(Budget.for_job(10, clock=clock).left(), 10)  # never past the job's end
