"""Which RQ queue the chat's own jobs use.

By default Frappe's `short` queue, which every `bench worker` serves. An operator who wants chat
turns never to wait behind a site's other short jobs (or a nightly burst of them) gives the app a
queue of its own through Frappe's `workers` configuration in common_site_config.json:

    "workers": {"whatsapp_chatbot": {"timeout": 300}}

and starts workers for it (`bench worker --queue whatsapp_chatbot`, or `bench worker-pool
--queue whatsapp_chatbot --num-workers N`); from then on turns and their sends go there. Frappe
refuses to enqueue on a queue it does not know, so the queue is used only once it is configured.
"""

from __future__ import annotations

import frappe

APP_QUEUE = "whatsapp_chatbot"
DEFAULT_QUEUE = "short"


def turn_queue() -> str:
	"""The queue of a contact's turns and of the outbox's sends."""
	workers = frappe.get_conf().get("workers") or {}
	return APP_QUEUE if APP_QUEUE in workers else DEFAULT_QUEUE


def turn_timeout() -> int:
	"""The RQ timeout of a job on the turn queue (Frappe's: 300 s for short, else as configured)."""
	from frappe.utils.background_jobs import get_queues_timeout

	return int(get_queues_timeout().get(turn_queue()) or 300)
