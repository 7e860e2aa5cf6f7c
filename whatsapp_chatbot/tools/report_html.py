"""A report as the HTML page wkhtmltopdf prints to PDF (tools/exports). Pure module: Jinja2, no frappe.

wkhtmltopdf runs on the server and fetches whatever the page points to: an `<iframe src>` or
`<img src>` in a filter value would put an internal page into the PDF the user receives (SSRF).
So everything on the page is text:
- rendered from templates/exports/report.html with autoescape on (frappe.render_template does not
  escape), and the template itself names no URL;
- report labels and cells, which reports may return as HTML (indicator spans, links), are reduced
  to their text first (`plain_text`), then escaped: shown as words, never followed as markup;
- `=` and `(` are written as character references too: Frappe's get_pdf rewrites anything in the
  page that looks like `src=`, `href=` or `:url(` (scrub_urls, a regex over the whole HTML, text
  included), which would garble the text of a value typed by the user.
Escaping `<` also keeps a value from passing wkhtmltopdf options: pdfkit reads them from
`<meta name="pdfkit-…">` tags found by a regex over the raw HTML.
"""

from __future__ import annotations

from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "exports/report.html"


def render(title: str, filters: dict, labels: list, rows: list[list]) -> str:
	"""The page: the report's name, the filters as the user gave them, and the table as text."""
	return (
		_environment()
		.get_template(TEMPLATE)
		.render(
			title=str(title),
			filters=[(str(name), _value(value)) for name, value in (filters or {}).items()],
			labels=[plain_text(label) for label in labels],
			rows=[[plain_text(value) for value in row] for row in rows],
		)
	)


def plain_text(value) -> str:
	"""A report's value as the words a person reads: HTML reduced to its text, entities decoded."""
	if value is None:
		return ""
	text = str(value)
	if "<" not in text and "&" not in text:
		return text  # most cells: no parsing (a report may have 100,000 rows)
	parser = _TextOnly()
	parser.feed(text)
	parser.close()
	return " ".join("".join(parser.parts).split())


def _value(value) -> str:
	"""A filter value as typed: escaped, not stripped (the user sees what was asked for)."""
	return "" if value is None else str(value)


def _as_text(value) -> Markup:
	# Jinja's finalize: every {{ }} is escaped here (markupsafe), and = and ( besides (see above)
	escaped = str(escape("" if value is None else str(value)))
	return Markup(escaped.replace("=", "&#61;").replace("(", "&#40;"))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
	return jinja2.Environment(
		loader=jinja2.FileSystemLoader(str(TEMPLATES)),
		autoescape=True,
		finalize=_as_text,
		undefined=jinja2.StrictUndefined,
	)


class _TextOnly(HTMLParser):
	"""Collects the text of an HTML fragment: tags dropped (a cell break becomes a space), the
	content of script and style dropped, character references decoded."""

	HIDDEN = frozenset(("script", "style", "head", "title", "template"))
	BREAKS = frozenset(("br", "p", "div", "li", "tr", "td", "th"))

	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.parts: list[str] = []
		self.hidden = 0

	def handle_starttag(self, tag, attrs):
		if tag in self.HIDDEN:
			self.hidden += 1
		elif tag in self.BREAKS:
			self.parts.append(" ")

	def handle_endtag(self, tag):
		if tag in self.HIDDEN and self.hidden:
			self.hidden -= 1
		elif tag in self.BREAKS:
			self.parts.append(" ")

	def handle_data(self, data):
		if not self.hidden:
			self.parts.append(data)
