"""Media the tests make themselves: a supplier's bill drawn with Pillow (JPEG with GPS in its
EXIF), the same bill as a PDF with a text layer (written by hand: Pillow's PDFs hold only a picture)
and as a scan (Pillow's PDF save of the drawn bill), a big photo and an executable named `.pdf`.

Pure module: Pillow and the standard library.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from io import BytesIO

from PIL import Image, ImageDraw

GPS_IFD = 0x8825


@dataclass
class Bill:
	supplier: str
	tax_id: str
	bill_no: str
	bill_date: str  # YYYY-MM-DD
	lines: list[dict] = field(default_factory=list)  # {description, qty, rate}
	total: float = 0.0

	def text_lines(self) -> list[str]:
		rows = [
			f"FACTURA {self.bill_no}",
			f"Proveedor: {self.supplier}",
			f"RFC: {self.tax_id}",
			f"Fecha: {self.bill_date}",
			"",
		]
		rows += [
			f"{line['qty']:g} x {line['description']} @ {line['rate']:.2f} = {line['qty'] * line['rate']:.2f}"
			for line in self.lines
		]
		rows += ["", f"TOTAL: {self.total:.2f} MXN"]
		return rows


def bill_image(bill: Bill, size: tuple[int, int] = (900, 1200)) -> Image.Image:
	image = Image.new("RGB", size, "white")
	draw = ImageDraw.Draw(image)
	for index, row in enumerate(bill.text_lines()):
		draw.text((60, 60 + index * 40), row, fill="black")
	draw.rectangle((40, 40, size[0] - 40, size[1] - 40), outline="black", width=3)
	return image


def bill_photo(bill: Bill, gps: bool = True, orientation: int = 1) -> bytes:
	"""A JPEG as a phone writes it: camera make, date and (by default) where it was taken."""
	exif = Image.Exif()
	exif[0x010F] = "TestPhone"  # Make
	exif[0x0132] = "2026:11:25 10:00:00"  # DateTime
	exif[0x0112] = orientation
	if gps:
		exif[GPS_IFD] = {1: "N", 2: (19.0, 25.0, 56.0), 3: "W", 4: (99.0, 7.0, 58.0)}
	buffer = BytesIO()
	bill_image(bill).save(buffer, "JPEG", quality=90, exif=exif.tobytes(), comment=b"taken at home")
	return buffer.getvalue()


def bill_png(bill: Bill) -> bytes:
	buffer = BytesIO()
	image = bill_image(bill)
	exif = Image.Exif()
	exif[GPS_IFD] = {1: "N", 2: (19.0, 25.0, 56.0)}
	from PIL.PngImagePlugin import PngInfo

	info = PngInfo()
	info.add_text("Location", "Av. Reforma 1, CDMX")
	image.save(buffer, "PNG", exif=exif.tobytes(), pnginfo=info)
	return buffer.getvalue()


def scan_pdf(bill: Bill, pages: int = 1) -> bytes:
	"""An image-only PDF (what a scanner or a phone's "scan" writes): no text layer at all."""
	image = bill_image(bill)
	buffer = BytesIO()
	image.save(buffer, "PDF", resolution=100.0, save_all=True, append_images=[image] * (pages - 1))
	return buffer.getvalue()


def text_pdf(pages: list[list[str]]) -> bytes:
	"""A PDF whose pages carry real text (Helvetica), written object by object."""
	objects: list[bytes] = []
	page_ids = []
	font_id = 3
	objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
	objects.append(b"")  # the page tree, filled in below
	objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for lines in pages:
		stream = "BT /F1 11 Tf 14 TL 50 790 Td\n" + "".join(f"({_escape(line)}) Tj T*\n" for line in lines)
		data = (stream + "ET").encode("cp1252", "replace")
		objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
		content_id = len(objects)
		objects.append(
			b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
			b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
		)
		page_ids.append(len(objects))
	kids = b" ".join(b"%d 0 R" % i for i in page_ids)
	objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
	out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets = []
	for number, body in enumerate(objects, start=1):
		offsets.append(len(out))
		out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
	xref = len(out)
	out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
	out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
	out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
	return bytes(out)


def bill_pdf(bill: Bill) -> bytes:
	return text_pdf([bill.text_lines()])


def long_pdf(pages: int = 10) -> bytes:
	"""A text PDF of `pages` full pages (a quotation with many lines)."""
	return text_pdf(
		[
			[
				f"Page {page + 1} line {row + 1}: item SKU-{row} qty {row + 1} price {row * 3.5:.2f}"
				for row in range(50)
			]
			for page in range(pages)
		]
	)


def big_photo(target_bytes: int = 2 * 1024 * 1024, seed: int = 7) -> bytes:
	"""A JPEG of about `target_bytes` (noise compresses badly, like a real photo's detail)."""
	rng = random.Random(seed)
	width, height = 3000, 2250
	noise = bytes(rng.getrandbits(8) for _ in range(width * height // 16 * 3))
	image = Image.frombytes("RGB", (width // 4, height // 4), noise).resize((width, height))
	exif = Image.Exif()
	exif[GPS_IFD] = {1: "N", 2: (19.0, 25.0, 56.0)}
	quality, data = 90, b""
	for quality in (95, 90, 85, 80, 70, 60, 50):
		buffer = BytesIO()
		image.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
		data = buffer.getvalue()
		if len(data) <= target_bytes:
			break
	return data


def elf_named_pdf() -> bytes:
	"""The first bytes of a Linux executable: what a renamed program sent as `bill.pdf` looks like."""
	return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"%PDF-1.4 decoy" + b"\x00" * 200


def _escape(text: str) -> str:
	return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def has_gps(content: bytes) -> bool:
	with Image.open(BytesIO(content)) as image:
		exif = image.getexif()
		return bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
