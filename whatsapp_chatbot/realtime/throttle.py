"""When a progress report becomes a WhatsApp message. Pure module: no frappe import.

Progress goes to the Desk on every report; to the phone only when the job crosses one of the
configured steps (25/50/75 %), no more often than the configured interval, and never faster than
Meta's pair rate of one message per 6 s to the same person.
"""

from __future__ import annotations

PAIR_RATE_SECONDS = 6.0


def parse_steps(text: str | None) -> tuple[int, ...]:
	steps = []
	for part in (text or "").replace(";", ",").split(","):
		part = part.strip().rstrip("%")
		if part.isdigit() and 0 < int(part) < 100:
			steps.append(int(part))
	return tuple(sorted(set(steps)))


def should_send(
	percent: float,
	last_sent_percent: int,
	since_last_progress: float | None,
	since_last_message: float | None,
	steps: tuple[int, ...],
	interval: float,
) -> int | None:
	"""The step to announce now, or None. The `since_*` are seconds, None when nothing was sent."""
	crossed = [s for s in steps if last_sent_percent < s <= percent]
	if not crossed:
		return None
	if since_last_progress is not None and since_last_progress < interval:
		return None
	if since_last_message is not None and since_last_message < PAIR_RATE_SECONDS:
		return None
	return crossed[-1]  # several crossed at once: announce the furthest
