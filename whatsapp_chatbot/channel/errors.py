"""Graph API errors, classified by Meta's error code. Pure module: no frappe import.

Meta asks callers to branch on `code` (subcodes are deprecated since v16). The classes decide what
the outbox does: retry with back-off, fall back to a template, or fail for good.
"""

from __future__ import annotations

# Throttling: retry after 4^n seconds (Meta's pair-rate guidance).
THROTTLING_CODES = frozenset({4, 80007, 130429, 131056})
OUTSIDE_WINDOW_CODE = 131047  # more than 24 hours since the user last wrote: only templates
INVALID_TOKEN_CODE = 190
UNKNOWN_RECIPIENT_CODES = frozenset({131026, 131062})  # not on WhatsApp / BSUID not usable


class GraphError(Exception):
	"""An error answer (or no answer) from the Graph API."""

	def __init__(
		self,
		message: str,
		code: int | None = None,
		http_status: int | None = None,
		details: str | None = None,
		fbtrace_id: str | None = None,
	):
		super().__init__(message)
		self.message = message
		self.code = code
		self.http_status = http_status
		self.details = details
		self.fbtrace_id = fbtrace_id

	@property
	def retryable(self) -> bool:
		if self.code in THROTTLING_CODES:
			return True
		if self.code in _FINAL_CODES:
			return False
		if self.http_status is None:  # timeout or connection error: nothing was answered
			return True
		return self.http_status >= 500

	@property
	def outside_window(self) -> bool:
		return self.code == OUTSIDE_WINDOW_CODE

	@property
	def invalid_token(self) -> bool:
		return self.code == INVALID_TOKEN_CODE

	def describe(self) -> str:
		"""One line for the Desk: code, message and Meta's details."""
		parts = [f"({self.code})" if self.code is not None else f"(HTTP {self.http_status or '-'})"]
		parts.append(self.message)
		if self.details and self.details not in self.message:
			parts.append(f"- {self.details}")
		return " ".join(parts)


_FINAL_CODES = frozenset({OUTSIDE_WINDOW_CODE, INVALID_TOKEN_CODE}) | UNKNOWN_RECIPIENT_CODES


def from_response(http_status: int, body: object) -> GraphError:
	"""Build a GraphError from an HTTP error answer ({"error": {...}} as Meta documents it)."""
	error = body.get("error") if isinstance(body, dict) else None
	if not isinstance(error, dict):
		return GraphError(f"HTTP {http_status}", http_status=http_status)
	code = error.get("code")
	try:
		code = int(code) if code is not None else None
	except (TypeError, ValueError):
		code = None
	return GraphError(
		str(error.get("message") or f"HTTP {http_status}"),
		code=code,
		http_status=http_status,
		details=(error.get("error_data") or {}).get("details"),
		fbtrace_id=error.get("fbtrace_id"),
	)


def backoff_seconds(attempt: int, base: float = 4.0, cap: float = 3600.0) -> float:
	"""Delay before retry number `attempt` (1 = first retry): 4^(attempt-1) s, as Meta asks."""
	return min(cap, base ** max(0, attempt - 1))
