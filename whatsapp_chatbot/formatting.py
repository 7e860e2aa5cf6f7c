"""Make model output fit WhatsApp. Pure module: no frappe import.

Models write Markdown; WhatsApp has its own small syntax (*bold*, _italic_, ~strike~, ```mono```)
and no tables or headings. This keeps the meaning and drops what would show as clutter.
"""

from __future__ import annotations

import re

_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
# [ \t], not \s: a \s here would swallow the blank line that follows
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)]+)\)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def to_whatsapp(text: str) -> str:
	text = (text or "").strip()
	text = _HEADING.sub(lambda m: f"*{m.group(1).strip('*')}*", text)
	text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
	text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
	text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
	text = _tables_to_lines(text)
	return re.sub(r"\n{3,}", "\n\n", text)


def _tables_to_lines(text: str) -> str:
	"""A Markdown table becomes one line per row: "• a · b · c" (header dropped)."""
	out: list[str] = []
	lines = text.splitlines()
	index = 0
	while index < len(lines):
		line = lines[index]
		if line.strip().startswith("|") and index + 1 < len(lines) and _TABLE_RULE.match(lines[index + 1]):
			index += 2
			while index < len(lines) and lines[index].strip().startswith("|"):
				cells = [c.strip() for c in lines[index].strip().strip("|").split("|")]
				out.append("• " + " · ".join(c for c in cells if c))
				index += 1
			continue
		out.append(line)
		index += 1
	return "\n".join(out)
