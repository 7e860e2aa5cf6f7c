"""Meta webhook signature check (X-Hub-Signature-256). Pure module: no frappe import.

The HMAC is computed over the raw request bytes, never over re-serialised JSON: Meta signs the
escaped-unicode body it sent, and any re-encoding changes the digest.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(app_secret: str, body: bytes) -> str:
	"""The header value Meta would send for `body` (used by tests and benchmarks)."""
	return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid(app_secret: str, body: bytes, header_value: str | None) -> bool:
	"""Constant-time comparison of the expected and received digests."""
	if not app_secret or not header_value or not header_value.startswith(PREFIX):
		return False
	expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
	return hmac.compare_digest(expected, header_value[len(PREFIX) :].strip().lower())
