"""PDFs users send: their text for the model, or, for a scan without text, page images.

Pure module: pypdfium2 (PDFium, Chrome's PDF engine, shipped inside the wheel), no frappe. pypdf,
which frappe also brings, extracts text but cannot render a page; PDFium does both, so a scanned
bill (pages that are only pictures) is rendered and shown to the model as images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

import pypdfium2 as pdfium

# under this many letters or digits per page on average, the PDF is treated as a scan
MIN_TEXT_PER_PAGE = 20
RENDER_LONG_SIDE = 1600  # px: small print on an A4 page stays legible


class PdfError(ValueError):
	"""Not a PDF we can read: damaged, or protected by a password (`encrypted`)."""

	def __init__(self, message: str, encrypted: bool = False):
		super().__init__(message)
		self.encrypted = encrypted


@dataclass
class PdfContent:
	page_count: int
	text: str = ""  # the text layer of the first pages read, pages separated by form feeds
	pages_read: int = 0  # how many pages `text` covers
	truncated: bool = False  # text stopped at `max_chars`
	images: list[bytes] = field(default_factory=list)  # JPEGs of the first pages, for scans

	@property
	def is_scan(self) -> bool:
		return not has_text_layer(self.text, self.pages_read)


def has_text_layer(text: str, pages: int) -> bool:
	meaningful = sum(1 for ch in text if ch.isalnum())
	return meaningful >= MIN_TEXT_PER_PAGE * max(1, pages) / 2


def read(content: bytes, max_chars: int = 20000, render_pages: int = 3) -> PdfContent:
	"""The text of the first pages (up to `max_chars`); when they have none, JPEGs of the first
	`render_pages` pages instead."""
	document = _open(content)
	try:
		result = PdfContent(page_count=len(document))
		texts: list[str] = []
		used = 0
		for index in range(len(document)):
			page = document[index]
			try:
				textpage = page.get_textpage()
				try:
					page_text = textpage.get_text_range().replace("\r\n", "\n").strip()
				finally:
					textpage.close()
			finally:
				page.close()
			if used + len(page_text) > max_chars:
				texts.append(page_text[: max(0, max_chars - used)])
				result.truncated = True
				result.pages_read = index + 1
				break
			texts.append(page_text)
			used += len(page_text) + 1
			result.pages_read = index + 1
		result.text = "\f".join(texts).strip()
		if result.is_scan and render_pages > 0:
			result.images = [_render(document, i) for i in range(min(render_pages, len(document)))]
		return result
	finally:
		document.close()


def page_count(content: bytes) -> int:
	document = _open(content)
	try:
		return len(document)
	finally:
		document.close()


def _open(content: bytes):
	try:
		return pdfium.PdfDocument(content)
	except pdfium.PdfiumError as error:
		text = str(error)
		raise PdfError(f"cannot open the PDF: {text}", encrypted="password" in text.lower())


def _render(document, index: int) -> bytes:
	page = document[index]
	try:
		width, height = page.get_size()  # PDF units (1/72 inch)
		scale = min(4.0, RENDER_LONG_SIDE / max(width, height, 1))
		bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
		try:
			image = bitmap.to_pil().convert("RGB")
		finally:
			bitmap.close()
	finally:
		page.close()
	buffer = BytesIO()
	image.save(buffer, "JPEG", quality=80)
	return buffer.getvalue()
