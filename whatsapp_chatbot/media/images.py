"""Photos users send: metadata stripped before storing, and a smaller copy for the model.

Pure module: Pillow, no frappe. A photo sent as a WhatsApp *document* keeps everything the phone
wrote into it, GPS position included. JPEG and PNG are cleaned without re-encoding (the marker
segments / chunks that carry metadata are dropped, the pixels are left byte for byte), so a bill
photo attached to an invoice is the picture the user took. A JPEG that is only upright through its
EXIF orientation flag is turned upright and re-saved (quality 95), as are WebP and GIF, without
their metadata. (Frappe may re-encode JPEGs once more when they are saved as Files, if System
Settings asks it to strip EXIF; the GPS is gone before that either way.)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps

ORIENTATION_TAG = 0x0112
GPS_IFD = 0x8825
# JPEG marker segments kept: JFIF (APP0), ICC profile (APP2 "ICC_PROFILE"), Adobe colour info (APP14)
_KEEP_APP = {0xE0, 0xEE}
# PNG ancillary chunks kept: colour and transparency; text, time and eXIf go
_KEEP_PNG = {
	b"tRNS",
	b"gAMA",
	b"cHRM",
	b"sRGB",
	b"iCCP",
	b"sBIT",
	b"pHYs",
	b"bKGD",
	b"acTL",
	b"fcTL",
	b"fdAT",
}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Image.MAX_IMAGE_PIXELS = 60_000_000  # a decompression bomb is refused, not decoded


class ImageError(ValueError):
	"""The bytes claim to be an image but cannot be read as one."""


@dataclass(frozen=True)
class Picture:
	content: bytes
	mime_type: str
	width: int
	height: int


def size(content: bytes) -> tuple[int, int]:
	"""Width and height as displayed (EXIF orientation applied), reading only the header."""
	try:
		with Image.open(BytesIO(content)) as image:
			width, height = image.size
			orientation = image.getexif().get(ORIENTATION_TAG, 1)
	except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
		raise ImageError(f"not a readable image: {error}")
	return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def strip_metadata(content: bytes, mime_type: str) -> bytes:
	"""The image without EXIF (GPS, camera, dates), XMP, IPTC or comments."""
	size(content)  # refuse what Pillow cannot read before touching it
	if mime_type == "image/jpeg":
		try:
			return _strip_jpeg(content)
		except (ValueError, IndexError, struct.error):
			return _resave(content, "JPEG")
	if mime_type == "image/png":
		try:
			return _strip_png(content)
		except (ValueError, IndexError, struct.error):
			return _resave(content, "PNG")
	if mime_type == "image/webp":
		return _resave(content, "WEBP")
	if mime_type == "image/gif":
		return _resave(content, "GIF")
	raise ImageError(f"no metadata stripping for {mime_type}")


def for_model(content: bytes, mime_type: str, target: tuple[int, int]) -> Picture:
	"""The image at most `target` (the size the model would downscale it to anyway): fewer bytes
	in the request, the same tokens. Small images are sent as they are."""
	width, height = size(content)
	if width <= target[0] and height <= target[1] and mime_type != "image/gif":
		return Picture(content, mime_type, width, height)
	with Image.open(BytesIO(content)) as image:
		image.draft("RGB", target)  # JPEG decodes at 1/2, 1/4, 1/8 scale directly: much faster
		image = ImageOps.exif_transpose(image)
		image.thumbnail(target, Image.Resampling.LANCZOS)
		buffer = BytesIO()
		if image.mode in ("RGBA", "LA", "P") and mime_type != "image/jpeg":
			image.convert("RGBA").save(buffer, "PNG", optimize=False)
			mime = "image/png"
		else:
			image.convert("RGB").save(buffer, "JPEG", quality=85)
			mime = "image/jpeg"
		return Picture(buffer.getvalue(), mime, image.width, image.height)


def _strip_jpeg(content: bytes) -> bytes:
	if content[:2] != b"\xff\xd8":
		raise ValueError("not a JPEG")
	if _orientation(content) != 1:
		# turned upright for good: an orientation flag alone would not survive Frappe's own EXIF
		# stripping (System Settings), and a sideways bill is hard to read
		return _resave(content, "JPEG")
	out = bytearray(b"\xff\xd8")
	position = 2
	while position < len(content):
		if content[position] != 0xFF:
			raise ValueError("JPEG marker expected")
		marker = content[position + 1]
		if marker == 0xFF:  # fill byte
			position += 1
			continue
		if marker == 0xD9:  # end of image: whatever follows (MPF previews with their own EXIF) goes
			out += b"\xff\xd9"
			return bytes(out)
		if 0xD0 <= marker <= 0xD7 or marker == 0x01:
			out += content[position : position + 2]
			position += 2
			continue
		(length,) = struct.unpack(">H", content[position + 2 : position + 4])
		segment = content[position : position + 2 + length]
		if len(segment) < 2 + length:
			raise ValueError("truncated JPEG segment")
		position += 2 + length
		if 0xE0 <= marker <= 0xEF or marker == 0xFE:
			if marker in _KEEP_APP or (marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\x00"):
				out += segment
			continue
		out += segment
		if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
			end = _scan_end(content, position)
			out += content[position:end]
			position = end
	raise ValueError("JPEG without end of image")


def _scan_end(content: bytes, position: int) -> int:
	while True:
		position = content.index(b"\xff", position)
		following = content[position + 1]
		if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
			position += 1
			continue
		return position


def _orientation(content: bytes) -> int:
	try:
		with Image.open(BytesIO(content)) as image:
			value = int(image.getexif().get(ORIENTATION_TAG, 1))
	except (OSError, ValueError, TypeError):
		return 1
	return value if 1 <= value <= 8 else 1


def _strip_png(content: bytes) -> bytes:
	if not content.startswith(_PNG_SIGNATURE):
		raise ValueError("not a PNG")
	out = bytearray(_PNG_SIGNATURE)
	position = len(_PNG_SIGNATURE)
	while position < len(content):
		(length,) = struct.unpack(">I", content[position : position + 4])
		kind = content[position + 4 : position + 8]
		chunk = content[position : position + 12 + length]
		if len(chunk) < 12 + length:
			raise ValueError("truncated PNG chunk")
		position += 12 + length
		critical = kind[:1].isupper()
		if critical or kind in _KEEP_PNG:
			out += chunk
		if kind == b"IEND":
			return bytes(out)
	raise ValueError("PNG without IEND")


def _resave(content: bytes, format: str) -> bytes:
	"""Re-encode without metadata (for formats whose containers we do not edit by hand)."""
	with Image.open(BytesIO(content)) as image:
		image = ImageOps.exif_transpose(image) if format != "GIF" else image
		buffer = BytesIO()
		options: dict = {}
		if format == "JPEG":
			image = image.convert("RGB")
			options = {"quality": 95}
		elif format == "WEBP":
			options = {"quality": 90, "lossless": bool(getattr(image, "info", {}).get("lossless"))}
		elif format == "GIF":
			image.info.pop("comment", None)
			image.info.pop("xmp", None)
			options = {"save_all": getattr(image, "is_animated", False)}
		if image.info.get("icc_profile"):
			options["icc_profile"] = image.info["icc_profile"]
		image.save(buffer, format, **options)
		return buffer.getvalue()
