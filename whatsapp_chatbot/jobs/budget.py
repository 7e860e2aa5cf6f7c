"""How long a processing job may still wait on the network. Pure module: no frappe.

RQ kills a job at its queue's timeout (jobs/queues.turn_timeout(): 300 s on `short`), wherever it
is: in the middle of a model call, after a command ran but before its answer was queued. A turn
waits on OpenAI (`openai_timeout` a call, retried by the SDK), on remote sites and on Meta, and a
job drains every pending message of its contact, so the waits add up past any timeout. The job
therefore starts a Budget with its own timeout less a reserve (the apology still has to be queued
and sent), and every network wait of a turn asks it how long it may take: a model call gets
min(openai_timeout, what is left) and only the retries that still fit; when nothing is left the
turn ends as the assistant being unavailable, which the user hears, instead of a killed job.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# left for what comes after the last wait: the apology queued and sent (one Graph call with its
# inline retry), the bookkeeping committed
RESERVE_SECONDS = 30
# a wait shorter than this is not worth starting: it could only time out
MIN_WAIT_SECONDS = 1.0
# the longest the OpenAI SDK sleeps before a retry: it honours Retry-After up to 60 s
RETRY_SLEEP_MAX = 60.0
# a job with less than this left hands its contact's next message to a fresh job (after a first
# turn, which every job runs whatever is left, so a contact's messages always move on)
HANDOVER_SECONDS = 60


@dataclass(frozen=True)
class CallOptions:
	timeout: float  # seconds for one attempt
	max_retries: int  # the SDK's retries after the first attempt


class Budget:
	"""The time a job has left for network waits, by a monotonic clock."""

	def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic, reserve: float = 0.0):
		self.clock = clock
		self.deadline = clock() + max(0.0, seconds)  # when the turn's waits must be over
		self.end = self.deadline + max(0.0, reserve)  # when the job is killed

	@classmethod
	def for_job(
		cls, job_timeout: float, reserve: float = RESERVE_SECONDS, clock: Callable[[], float] = time.monotonic
	) -> Budget:
		reserve = min(reserve, max(0.0, job_timeout))
		return cls(job_timeout - reserve, clock, reserve)

	def remaining(self) -> float:
		"""For the turn's waits: up to the reserve."""
		return max(0.0, self.deadline - self.clock())

	def left(self) -> float:
		"""Until the job's end, the reserve included: for sending what the turn queued."""
		return max(0.0, self.end - self.clock())

	def wait(self, limit: float) -> float | None:
		"""How long one wait of at most `limit` seconds may take; None when the budget is spent."""
		return wait_for(self.remaining(), limit)

	def call(self, limit: float, retries: int = 2) -> CallOptions | None:
		"""A model call's timeout and retries; None when the budget is spent."""
		return call_options(self.remaining(), limit, retries)

	def hand_over(self) -> bool:
		"""True when the next turn had better start in a fresh job."""
		return self.remaining() < HANDOVER_SECONDS


def wait_for(remaining: float, limit: float) -> float | None:
	timeout = min(float(limit), remaining)
	return timeout if timeout >= MIN_WAIT_SECONDS else None


def call_options(
	remaining: float, limit: float, retries: int = 2, retry_sleep: float = RETRY_SLEEP_MAX
) -> CallOptions | None:
	"""Attempts of `timeout` each and the sleeps between them all fit in `remaining`:
	(1 + r) × timeout + r × retry_sleep ≤ remaining, with as many retries r (up to `retries`) as fit."""
	timeout = wait_for(remaining, limit)
	if timeout is None:
		return None
	fitting = math.floor((remaining - timeout) / (timeout + retry_sleep) + 1e-9)
	return CallOptions(timeout=timeout, max_retries=max(0, min(int(retries), fitting)))
