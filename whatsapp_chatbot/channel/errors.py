"""Graph API errors, classified by Meta's error code. Pure module: no frappe import.

Meta asks callers to branch on `code` (subcodes are deprecated since v16). The classes decide what
the outbox does: retry with back-off, hold the message until the contact writes (24-hour window
closed), or fail for good. Meta's template errors fail for good with what to do (`advice`): sending
the same template again would only be refused again, or (131049) hurt the number's standing.
"""

from __future__ import annotations

# Throttling: retry after 4^n seconds (Meta's pair-rate guidance).
THROTTLING_CODES = frozenset({4, 80007, 130429, 131056})
OUTSIDE_WINDOW_CODE = 131047  # more than 24 hours since the user last wrote: only templates
INVALID_TOKEN_CODE = 190
UNKNOWN_RECIPIENT_CODES = frozenset({131026, 131062})  # not on WhatsApp / BSUID not usable
TEMPLATE_PAUSED_CODE = 132015
TEMPLATE_DISABLED_CODE = 132016

# What to do, by Meta's code (Meta's error-codes page, PROTOCOLS.md A8): stored on the message with
# Meta's own words, and shown on a failed status the same way.
ADVICE = {
	OUTSIDE_WINDOW_CODE: "the 24-hour window is closed: only a template reaches the contact now; the "
	"message is held until the contact writes",
	132000: "the number of parameters does not match the template: sync templates and send what its "
	"Parameters field lists",
	132001: "the template does not exist in this language or is not approved: sync templates and pick "
	"an approved one",
	132005: "the text with its parameters is too long: shorten the parameters",
	132007: "Meta found the content against WhatsApp's policies: change the template or its parameters",
	132008: "a parameter value is not valid (empty, a line break, a tab or more than four spaces in a "
	"row): fix the parameters",
	132012: "the parameters' format does not match the template (positional or named, header type): "
	"sync templates and send what its Parameters field lists",
	TEMPLATE_PAUSED_CODE: "Meta paused the template for low quality: it resumes after 3 h (first pause) "
	"or 6 h (second); a third pause disables it. Use another template meanwhile",
	TEMPLATE_DISABLED_CODE: "Meta disabled the template after repeated pauses for low quality: create "
	"a new template and set it where this one was used",
	132018: "a parameter contains a line break, a tab or more than four spaces in a row: fix the parameters",
	131008: "a parameter the template needs is missing: sync templates and send what its Parameters "
	"field lists",
	131049: "Meta did not deliver it to keep engagement healthy (a limit on marketing messages per "
	"person): do not resend now; try again no sooner than 24 hours later",
	131050: "the person stopped marketing messages from this business: send them no marketing templates",
}
TEMPLATE_CODES = frozenset(ADVICE) - {OUTSIDE_WINDOW_CODE}


def advice(code) -> str | None:
	"""What to do about Meta's error `code` (an int or its text), if the app knows."""
	try:
		return ADVICE.get(int(code)) if code not in (None, "") else None
	except (TypeError, ValueError):
		return None


def with_advice(code, text: str | None) -> str | None:
	"""Meta's text followed by what to do, once."""
	hint = advice(code)
	if not hint or (text and hint in text):
		return text
	return f"{text} → {hint}" if text else hint


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
		return with_advice(self.code, " ".join(parts))


_FINAL_CODES = frozenset({OUTSIDE_WINDOW_CODE, INVALID_TOKEN_CODE}) | UNKNOWN_RECIPIENT_CODES | TEMPLATE_CODES


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
