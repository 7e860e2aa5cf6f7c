"""Phone numbers as WhatsApp writes them: digits only, with the country calling code.

Pure module: no frappe import. People type numbers every way ("+52 55 1234 5678",
"+52-5512345678" as Frappe's phone field stores it, "0044 20 7946 0958", "(555) 123-4567",
"020 7946 0958"); a number without an international prefix gets the site's country code.
"""

from __future__ import annotations

import re

MIN_DIGITS, MAX_DIGITS = 8, 15  # E.164 allows at most 15 digits
NATIONAL_MAX_DIGITS = 11  # longer than this without "+" or "00": already international


class InvalidNumber(ValueError):
	pass


def calling_code(isd: str | None) -> str | None:
	"""'+52' or '52' or '+1-684' (Frappe's country_info) -> '52' / '1684'."""
	digits = re.sub(r"\D", "", isd or "")
	return digits or None


def normalise(number: str | None, default_code: str | None = None) -> str:
	"""Digits with country code, or InvalidNumber saying why not."""
	raw = (number or "").strip()
	if not raw:
		raise InvalidNumber("no number")
	raw = re.split(r"\s*(?:ext\.?|x|#)\s*\d+$", raw, flags=re.IGNORECASE)[0]  # drop an extension
	if re.search(r"[A-Za-z]", raw):
		raise InvalidNumber(f"{number!r} has letters")
	digits = re.sub(r"\D", "", raw)
	if raw.startswith("+"):
		international = digits
	elif digits.startswith("00"):
		international = digits[2:]
	elif len(digits) > NATIONAL_MAX_DIGITS:
		international = digits
	else:
		code = calling_code(default_code)
		if not code:
			raise InvalidNumber(f"{number!r} has no country code and the site has no default country")
		national = digits.lstrip("0")  # trunk prefix: 020 7946 0958 in the UK is +44 20 7946 0958
		international = national if national.startswith(code) and len(digits) > 10 else code + national
	if not MIN_DIGITS <= len(international) <= MAX_DIGITS:
		raise InvalidNumber(f"{number!r} does not look like a phone number")
	return international
