"""Scheduler and RQ entry points for subscriptions (subscriptions/due.py does the work).

`tick` is scheduled every minute (hooks.scheduler_events): it claims what is due and queues one
`run_subscription` job per claimed run. Two ticks at once (two schedulers on one database) claim
each run once.
"""

from __future__ import annotations

import frappe

from whatsapp_chatbot import session_user
from whatsapp_chatbot.subscriptions import due


def tick() -> int:
	session_user.switch_user("Administrator")
	return len(due.tick())


def run_subscription(subscription: str, due_at: str) -> None:
	# jobs run as whoever queued them; the run switches to the subscription's User for the command
	session_user.switch_user("Administrator")
	due.run(subscription, due_at)
