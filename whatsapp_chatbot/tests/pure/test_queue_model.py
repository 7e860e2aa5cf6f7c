"""benchmarks/queue_model.py: the ideal FIFO queue capacity.py compares measured waits with."""

import importlib.util
import os
import random
import unittest

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "benchmarks", "queue_model.py")
_spec = importlib.util.spec_from_file_location("queue_model", _PATH)
queue_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(queue_model)


class TestIdealWaits(unittest.TestCase):
	def test_one_server_serves_in_arrival_order(self):
		# arrivals at 0, 1, 2, each taking 3 s: the second waits 2 s, the third 4 s
		self.assertEqual(queue_model.ideal_waits([(2, 3), (0, 3), (1, 3)], 1), [0, 2, 4])

	def test_a_free_server_starts_a_job_at_once(self):
		self.assertEqual(queue_model.ideal_waits([(0, 3), (1, 3), (2, 3)], 3), [0, 0, 0])
		# two servers: the third job takes the server the first frees at 3 s
		self.assertEqual(queue_model.ideal_waits([(0, 3), (1, 5), (2, 1)], 2), [0, 0, 1])

	def test_idle_time_is_not_carried_over(self):
		self.assertEqual(queue_model.ideal_waits([(0, 1), (10, 1)], 1), [0, 0])

	def test_regular_arrivals_below_capacity_never_wait(self):
		jobs = [(i * 4.7, random.uniform(2.7, 3.9)) for i in range(200)]
		self.assertEqual(max(queue_model.ideal_waits(jobs, 1)), 0)

	def test_poisson_arrivals_at_70_percent_wait_as_queueing_theory_says(self):
		# M/D/1 at ρ = 0.7, service 1 s: the mean wait is ρ / (2 (1 − ρ)) = 1.17 s (Pollaczek–Khinchine)
		rng = random.Random(7)
		at, jobs = 0.0, []
		for _ in range(200_000):
			at += rng.expovariate(0.7)
			jobs.append((at, 1.0))
		waits = queue_model.ideal_waits(jobs, 1)
		self.assertAlmostEqual(sum(waits) / len(waits), 0.7 / (2 * 0.3), delta=0.05)

	def test_no_server_is_an_error(self):
		with self.assertRaises(ValueError):
			queue_model.ideal_waits([(0, 1)], 0)

	def test_percentile_is_the_nearest_rank(self):
		self.assertEqual(queue_model.percentile(list(range(1, 101)), 0.99), 100)
		self.assertEqual(queue_model.percentile([3, 1, 2], 0.5), 2)
		self.assertNotEqual(queue_model.percentile([], 0.99), queue_model.percentile([], 0.99))  # NaN
