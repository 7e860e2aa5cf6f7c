"""A Notification's rendered message as WhatsApp text. Pure module: no frappe import.

Managers write a Notification's message as they do for email: HTML (what the email channel sends)
or Markdown/plain text. WhatsApp shows neither HTML nor Markdown, only its own marks (*bold*,
_italic_, ~strike~, ```mono```). HTML becomes those marks and plain lines (paragraphs, list
bullets, one line per table row, a link's address after its text); anything else goes through the
same Markdown clean-up as the model's answers (formatting.to_whatsapp).

`one_line` fits a text into a template parameter, where Meta refuses line breaks, tabs and more
than four spaces in a row.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from whatsapp_chatbot.formatting import to_whatsapp

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>")
_MARKS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "strike": "~", "del": "~", "code": "`"}
_PARAGRAPHS = frozenset(
	"p div h1 h2 h3 h4 h5 h6 ul ol table blockquote pre section article header footer hr".split()
)
_LINES = frozenset({"br", "li", "tr"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_DROPPED = frozenset({"script", "style", "head", "title", "template"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr"})


def is_html(text: str) -> bool:
	return bool(_TAG.search(text or ""))


def to_text(rendered: str) -> str:
	"""What a contact reads for this rendered message."""
	if is_html(rendered):
		return html_to_whatsapp(rendered)
	return to_whatsapp(rendered)


def html_to_whatsapp(html: str) -> str:
	parser = _Converter()
	parser.feed(html or "")
	parser.close()
	return parser.text()


def one_line(text: str, limit: int) -> str:
	"""`text` as one template parameter: lines joined by " · ", spaces collapsed, cut to `limit`."""
	lines = [re.sub(r"\s+", " ", line).strip() for line in (text or "").splitlines()]
	joined = " · ".join(line for line in lines if line)
	if len(joined) > limit:
		joined = joined[: max(0, limit - 1)].rstrip() + "…"
	return joined


class _Converter(HTMLParser):
	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.out: list[str] = []
		self.stack: list[tuple[str, int, str]] = []  # (tag, where its text starts, its href)
		self.dropping = 0
		self.pre = 0
		self.lists: list[list] = []  # per open list: [ordered, next number]
		self.cells = 0
		self.fresh = True  # at the start of a line or right after a bullet: leading spaces go

	# -- structure -------------------------------------------------------------------------

	def handle_starttag(self, tag, attrs):
		if tag in _DROPPED:
			self.dropping += 1
			return
		if self.dropping:
			return
		if tag in _PARAGRAPHS:
			self._break(2)
		if tag == "br":
			self.out.append("\n")
			self.fresh = True
		elif tag in ("ul", "ol"):
			self.lists.append([tag == "ol", 1])
		elif tag == "li":
			self._break(1)
			depth = max(0, len(self.lists) - 1)
			bullet = "• "
			if self.lists and self.lists[-1][0]:
				bullet = f"{self.lists[-1][1]}. "
				self.lists[-1][1] += 1
			self.out.append("  " * depth + bullet)
			self.fresh = True
		elif tag == "tr":
			self._break(1)
			self.cells = 0
		elif tag in ("td", "th"):
			if self.cells:
				self.out.append(" · ")
			self.cells += 1
		elif tag == "pre":
			self.pre += 1
			self.out.append("```")
		if tag in _MARKS or tag in _HEADINGS or tag == "a":
			href = dict(attrs).get("href") or "" if tag == "a" else ""
			self.stack.append((tag, len(self.out), href))

	def handle_startendtag(self, tag, attrs):
		self.handle_starttag(tag, attrs)
		if tag not in _VOID:
			self.handle_endtag(tag)

	def handle_endtag(self, tag):
		if tag in _DROPPED:
			self.dropping = max(0, self.dropping - 1)
			return
		if self.dropping:
			return
		if tag in _MARKS or tag in _HEADINGS or tag == "a":
			self._close(tag)
		if tag == "pre":
			self.pre = max(0, self.pre - 1)
			self.out.append("```")
		if tag in ("ul", "ol") and self.lists:
			self.lists.pop()
		if tag in _PARAGRAPHS:
			self._break(2)

	def handle_data(self, data):
		if self.dropping:
			return
		if not self.pre:
			data = re.sub(r"\s+", " ", data)
			if self.fresh or self._at_line_start():
				data = data.lstrip()
			elif "".join(self.out[-2:]).endswith(" "):
				data = data.lstrip(" ")
		if data:
			self.fresh = False
		self.out.append(data)

	# -- helpers ---------------------------------------------------------------------------

	def _close(self, tag):
		"""Wrap the text since the matching open tag in its mark (WhatsApp needs the mark right
		against the words: "*bold* ", never "*bold *")."""
		for position in range(len(self.stack) - 1, -1, -1):
			if self.stack[position][0] == tag:
				break
		else:
			return
		_, start, href = self.stack[position]
		del self.stack[position:]
		inner = "".join(self.out[start:])
		del self.out[start:]
		words = inner.strip()
		if not words:
			self.out.append(inner)
			return
		lead = inner[: len(inner) - len(inner.lstrip())]
		trail = inner[len(inner.rstrip()) :]
		if tag == "a":
			shown = words
			if (
				href.startswith(("http://", "https://", "mailto:"))
				and href.split(":", 1)[-1].strip("/") not in words
			):
				shown = f"{words} ({href.removeprefix('mailto:')})"
		else:
			mark = "*" if tag in _HEADINGS else _MARKS[tag]
			shown = f"{mark}{words.strip(mark)}{mark}"
		self.out.append(f"{lead}{shown}{trail}")

	def _at_line_start(self) -> bool:
		tail = "".join(self.out[-3:])
		return not tail or tail.endswith("\n")

	def _break(self, lines: int):
		if self.pre:
			return
		text = "".join(self.out)
		if not text.strip():
			return
		existing = len(text) - len(text.rstrip("\n"))
		if existing < lines:
			# spaces before a break are noise
			while self.out and self.out[-1].strip(" ") == "" and "\n" not in self.out[-1]:
				self.out.pop()
			if self.out:
				self.out[-1] = self.out[-1].rstrip(" ")
			self.out.append("\n" * (lines - existing))
		self.fresh = True

	def text(self) -> str:
		text = "".join(self.out)
		lines = [line.rstrip() for line in text.split("\n")]
		text = "\n".join(lines)
		return re.sub(r"\n{3,}", "\n\n", text).strip()
