"""Reading Frappe File records the way the app needs them."""

from __future__ import annotations


def file_bytes(file) -> bytes:
	"""A File's content as bytes: Frappe's `get_content` hands back text for any file whose bytes
	decode as UTF-8 (a plain PDF's may), and what goes to Meta, a hash or a download is the bytes."""
	content = file.get_content()
	return content.encode() if isinstance(content, str) else content
