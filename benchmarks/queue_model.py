"""What an ideal queue would have made the same jobs wait: pure, no Frappe.

capacity.py measures each turn job's queue wait (RQ's enqueued_at → started_at). How much of that
wait is ours and how much is the arrivals' own burstiness? Replaying the very same jobs (their
enqueue times and how long each ran) through an ideal first-come-first-served queue with the same
number of servers, which starts a job the instant a server is free, gives the wait no scheduler
could beat: Poisson arrivals at 70 % of one worker's capacity queue for seconds in any system.
The difference measured − ideal is what our workers, forks and dequeues add.
"""

from __future__ import annotations

import heapq


def ideal_waits(jobs: list[tuple[float, float]], servers: int) -> list[float]:
	"""`jobs`: (arrival, service seconds). The waits, in arrival order, of a FIFO queue served by
	`servers` identical servers that start the next job the moment one is free."""
	if servers < 1:
		raise ValueError("at least one server")
	free_at = [0.0] * servers  # when each server is next free (a heap)
	waits = []
	for arrival, service in sorted(jobs):
		earliest = heapq.heappop(free_at)
		start = max(arrival, earliest)
		waits.append(start - arrival)
		heapq.heappush(free_at, start + max(0.0, service))
	return waits


def percentile(values: list[float], share: float) -> float:
	"""The nearest-rank percentile (NaN for no values): p99 of 50 values is the largest."""
	if not values:
		return float("nan")
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, int(len(ordered) * share))]
