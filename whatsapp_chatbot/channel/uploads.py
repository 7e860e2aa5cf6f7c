"""A file sent to WhatsApp is uploaded to Meta once and then sent by its id, to as many as need it.

Meta keeps an uploaded file 30 days and lets one id go to any number of recipients. A Notification's
PDF or a purchase order going to 50 approvers is then one upload, not 50 uploads of the same bytes
(each a Graph call that holds a worker and counts against the number's limits). The id is kept in
Redis for a day, far inside Meta's 30, under the file's SHA-256, its name and type, and the Graph
endpoint and number it was uploaded to. While one job uploads a file, the jobs sending the same file
wait for its id (a few seconds at most) instead of uploading it again beside it.
"""

from __future__ import annotations

import hashlib
import time

import frappe

REUSE_SECONDS = 24 * 3600
# how long the others wait for an upload under way; past it (the uploader died) they upload themselves
UPLOADING_SECONDS = 30
POLL_SECONDS = 0.2


def media_id(client, content: bytes, filename: str, mime_type: str) -> str:
	"""Meta's id for this file on this client's number: one uploaded before, else a new upload."""
	key = cache_key(client, content, filename, mime_type)
	known = _known(key)
	if known:
		return known
	redis = frappe.cache
	marker = f"{key}:uploading"
	uploader = bool(redis.set(marker, 1, ex=UPLOADING_SECONDS, nx=True))
	if not uploader:
		known = _wait_for(key, marker)
		if known:
			return known
	try:
		uploaded = client.upload_media(content, filename, mime_type)
		redis.set(key, uploaded, ex=REUSE_SECONDS)
		return uploaded
	finally:
		if uploader:
			redis.delete(marker)


def cache_key(client, content: bytes, filename: str, mime_type: str) -> str:
	where = f"{client.base_url}/{client.phone_number_id}"
	what = hashlib.sha256(content).hexdigest()
	named = hashlib.sha256(f"{where}\n{filename}\n{mime_type}".encode()).hexdigest()[:16]
	return frappe.cache.make_key(f"whatsapp_chatbot:uploaded_media:{what}:{named}")


def _known(key: str) -> str | None:
	value = frappe.cache.get(key)
	return value.decode() if value else None


def _wait_for(key: str, marker: str) -> str | None:
	"""The id another job is uploading, once it has it; None if that upload ended without one."""
	deadline = time.monotonic() + UPLOADING_SECONDS
	while time.monotonic() < deadline and frappe.cache.get(marker):
		time.sleep(POLL_SECONDS)
		known = _known(key)
		if known:
			return known
	return _known(key)  # it may have come as the marker went
