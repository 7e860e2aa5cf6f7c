"""How long the turn queue takes to drain, from what the workers did lately. Pure: no frappe import.

A turn is I/O-bound (the model's latency), so the queue drains at workers ÷ (seconds per job): the
jobs waiting × the mean seconds a turn job took lately ÷ the workers serving the queue. The mean,
not the median, because throughput is total work over jobs: a few slow turns delay everyone behind
them, and the quick no-op jobs (a redelivery, a contact whose turn another job is already taking)
speed the queue up just as much. Before any turn was measured a model's usual latency stands in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_TURN_SECONDS = 5.0  # a real model answers in 1–5 s a call; a read command takes two calls


@dataclass(frozen=True)
class Estimate:
	depth: int  # jobs waiting on the turn queue
	workers: int  # workers serving it
	turn_seconds: float  # what a job takes, as measured lately (or the default)
	measured: bool  # turn_seconds comes from measured jobs, not the default
	drain_seconds: float  # how long the last of them waits; inf when no worker serves the queue


def typical_seconds(durations: Sequence[float], default: float = DEFAULT_TURN_SECONDS) -> float:
	"""The mean of the measured durations (negative ones, a clock step, are left out), else `default`."""
	valid = [d for d in durations if d is not None and d >= 0 and math.isfinite(d)]
	return sum(valid) / len(valid) if valid else default


def drain_seconds(depth: int, workers: int, turn_seconds: float) -> float:
	"""0 for an empty queue; inf when jobs wait and no worker serves the queue."""
	if depth <= 0:
		return 0.0
	if workers <= 0:
		return math.inf
	return depth * max(0.0, turn_seconds) / workers


def estimate(depth: int, workers: int, durations: Sequence[float]) -> Estimate:
	measured = any(d is not None and d >= 0 for d in durations)
	seconds = typical_seconds(durations)
	return Estimate(
		depth=max(0, depth),
		workers=max(0, workers),
		turn_seconds=seconds,
		measured=measured,
		drain_seconds=drain_seconds(depth, workers, seconds),
	)


def busy(estimate: Estimate, threshold_seconds: float) -> bool:
	"""Tell waiting contacts their answer is coming: the queue takes longer than the threshold to
	drain. Never with the threshold 0 (off), and never while no worker serves the queue: nothing
	would send the notice either, and the promise of an answer in minutes would not hold (the
	Settings form shows that in red instead)."""
	if threshold_seconds <= 0 or estimate.workers <= 0:
		return False
	return estimate.drain_seconds > threshold_seconds


def percentile(values: Sequence[float], fraction: float) -> float | None:
	"""The nearest-rank percentile (fraction 0.5 = p50, 0.99 = p99); None without values."""
	ordered = sorted(v for v in values if v is not None and math.isfinite(v))
	if not ordered:
		return None
	rank = max(1, math.ceil(min(max(fraction, 0.0), 1.0) * len(ordered)))
	return ordered[rank - 1]
