"""The turn queue's drain estimate: the arithmetic behind the busy notice and the Desk's figures."""

import math

from whatsapp_chatbot.channel import drain_estimate as d


def test_empty_queue_drains_at_once_even_without_workers():
	assert d.drain_seconds(0, 0, 5.0) == 0.0
	assert d.drain_seconds(0, 3, 5.0) == 0.0


def test_no_worker_never_drains():
	assert d.drain_seconds(4, 0, 2.0) == math.inf


def test_depth_times_turn_seconds_over_workers():
	assert d.drain_seconds(30, 1, 2.0) == 60.0
	assert d.drain_seconds(30, 4, 2.0) == 15.0
	assert d.drain_seconds(7, 2, 3.0) == 10.5


def test_mean_of_measured_turns_else_the_default():
	assert d.typical_seconds([]) == d.DEFAULT_TURN_SECONDS
	assert d.typical_seconds([], default=1.5) == 1.5
	assert d.typical_seconds([1.0, 2.0, 6.0]) == 3.0
	# a clock step can make a duration negative: left out, not averaged in
	assert d.typical_seconds([-4.0, 2.0]) == 2.0
	assert d.typical_seconds([-1.0]) == d.DEFAULT_TURN_SECONDS


def test_estimate_says_whether_it_was_measured():
	guessed = d.estimate(depth=3, workers=1, durations=[])
	assert (guessed.measured, guessed.turn_seconds, guessed.drain_seconds) == (False, 5.0, 15.0)
	measured = d.estimate(depth=3, workers=2, durations=[2.0, 4.0])
	assert (measured.measured, measured.turn_seconds, measured.drain_seconds) == (True, 3.0, 4.5)


def test_busy_above_the_threshold_only():
	at_threshold = d.estimate(depth=12, workers=1, durations=[5.0])  # 60 s
	assert not d.busy(at_threshold, 60)
	assert d.busy(d.estimate(depth=13, workers=1, durations=[5.0]), 60)


def test_busy_off_with_threshold_zero():
	assert not d.busy(d.estimate(depth=1000, workers=1, durations=[5.0]), 0)


def test_not_busy_without_workers():
	# nothing would send the notice, and "in a few minutes" would not be true
	stalled = d.estimate(depth=50, workers=0, durations=[5.0])
	assert stalled.drain_seconds == math.inf
	assert not d.busy(stalled, 60)


def test_percentiles_nearest_rank():
	values = [float(v) for v in range(1, 101)]  # 1..100
	assert d.percentile(values, 0.5) == 50.0
	assert d.percentile(values, 0.99) == 99.0
	assert d.percentile([7.0], 0.99) == 7.0
	assert d.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
	assert d.percentile([], 0.5) is None
