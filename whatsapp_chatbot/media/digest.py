"""Meta's sha256 of a media file, checked against the bytes that arrived. Pure module."""

from __future__ import annotations

import base64
import hashlib
import re


def sha256_matches(content: bytes, claimed: str) -> bool:
	"""Meta writes the digest base64 in webhooks and hex in the media URL answer: either may come.
	A value that is neither a hex nor a base64 SHA-256 is not a digest we can check: it passes."""
	digest = hashlib.sha256(content).digest()
	claimed = (claimed or "").strip()
	if re.fullmatch(r"[0-9a-fA-F]{64}", claimed):
		return claimed.lower() == digest.hex()
	try:
		padded = claimed + "=" * (-len(claimed) % 4)
		altchars = b"-_" if "-" in claimed or "_" in claimed else None
		decoded = base64.b64decode(padded, altchars=altchars, validate=True)
	except (ValueError, TypeError):
		return True
	return decoded == digest if len(decoded) == 32 else True
