"""The HTML a report's PDF is printed from (tools/report_html): whatever the user typed and whatever
the report returned is text on the page, and nothing on the page is something wkhtmltopdf would
fetch or read as an option. The PDF itself, printed by the real wkhtmltopdf while a loopback server
listens for fetches, is tests/test_export_safety.py."""

import re
from html.parser import HTMLParser

from whatsapp_chatbot.tools.report_html import plain_text, render

URL = "http://127.0.0.1:9/secret"
ATTACKS = [
	f'<iframe src="{URL}"></iframe><img src="{URL}">',
	f'<meta name="pdfkit-user-style-sheet" content="{URL}">',
	f'<link rel="stylesheet" href="{URL}"><script src="{URL}"></script>',
	'<div id="header-html"><img src=/private/files/x.png></div>',  # Frappe's PDF header hook
	f'<style>.print-format {{ margin-top: 200mm }} body {{ background: url("{URL}") }}</style>',
	f"<object data='{URL}'></object><embed src={URL}>",
]
# pdfkit 1.0, PDFKit._find_options_in_meta: options are read from the raw HTML with these regexes
PDFKIT_META = re.compile(r"<meta [^>]*>")
PDFKIT_NAME = re.compile(r"name=[\"']pdfkit-")
# Frappe's scrub_urls (frappe/utils/data.py) rewrites these, text included
FRAPPE_URL_PATTERNS = [
	re.compile(r'(href|src){1}([\s]*=[\s]*[\'"]?)((?!http)[^\'" >]+)([\'"]?)'),
	re.compile(r'(:[\s]?url)(\([\'"]?)((?!http)[^\'" >]+)([\'"]?\))'),
]
TEMPLATE_TAGS = {"html", "head", "meta", "title", "style", "body", "h2", "p", "table", "thead", "tbody"}
TEMPLATE_TAGS |= {"tr", "th", "td"}


class Page(HTMLParser):
	"""What a browser makes of the page: its elements with their attributes, and its text."""

	def __init__(self, html: str):
		super().__init__(convert_charrefs=True)
		self.elements: list[tuple[str, dict]] = []
		self.text: list[str] = []
		self.feed(html)
		self.close()

	def handle_starttag(self, tag, attrs):
		self.elements.append((tag, dict(attrs)))

	def handle_data(self, data):
		self.text.append(data)


def page(**overrides) -> tuple[str, Page]:
	arguments = {
		"title": "General Ledger <b>x</b>",
		"filters": {f"f{i}": attack for i, attack in enumerate(ATTACKS)},
		"labels": ['Party <img src="/files/l.png">', "Amount"],
		"rows": [
			['<span class="indicator-pill green">Paid</span>', 10.5],
			[f'<a href="{URL}">ACC-SINV-0001</a>', None],
			[f"<script>fetch('{URL}')</script>Acme &amp; Co", 0],
		],
	} | overrides
	html = render(**arguments)
	return html, Page(html)


def test_only_the_templates_elements_and_no_url_anywhere():
	html, parsed = page()
	assert {tag for tag, _ in parsed.elements} <= TEMPLATE_TAGS
	for tag, attributes in parsed.elements:
		assert set(attributes) <= {"charset", "class"}, (tag, attributes)
	assert not re.search(r"\b(src|href|data)\s*=", html)
	assert "url(" not in html and "@import" not in html


def test_what_the_user_typed_is_shown_as_typed():
	_, parsed = page()
	text = "".join(parsed.text)
	for index, attack in enumerate(ATTACKS):
		assert f"f{index}: {attack}" in text
	assert "General Ledger <b>x</b>" in text


def test_report_html_becomes_its_words():
	_, parsed = page()
	cells = [t for t in parsed.text if t.strip()]
	assert "Party" in cells and "Paid" in cells and "ACC-SINV-0001" in cells and "Acme & Co" in cells
	assert not any("fetch(" in t or "indicator" in t for t in cells)


def test_no_wkhtmltopdf_option_can_be_passed_in_the_page():
	html, _ = page()
	assert [m for m in PDFKIT_META.findall(html) if PDFKIT_NAME.search(m)] == []
	assert PDFKIT_META.findall(html) == ['<meta charset="utf-8">']


def test_frappe_url_rewriting_finds_nothing_to_rewrite():
	html, _ = page()
	for pattern in FRAPPE_URL_PATTERNS:
		assert pattern.findall(html) == []


def test_plain_text():
	assert plain_text(None) == ""
	assert plain_text(12.5) == "12.5"
	assert plain_text("Tom & Jerry") == "Tom & Jerry"
	assert plain_text("a < b and c > d") == "a < b and c > d"
	assert plain_text("line<br>break<td>cell</td>") == "line break cell"
	assert plain_text("<style>p{color:red}</style>shown") == "shown"
	assert plain_text("&lt;b&gt; &#36;5") == "<b> $5"
	assert plain_text("<img src=x") == "<img src=x"  # not a tag: text, escaped on the page
