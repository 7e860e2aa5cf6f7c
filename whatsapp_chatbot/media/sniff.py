"""What a file is, from its first bytes. Pure module: standard library only.

WhatsApp tells us a file name and a MIME type, but both come from the sender's phone: a program
renamed `factura.pdf` arrives as `application/pdf`. What we store and show to the model is decided
here, from the content, and only a short list of kinds is accepted: photos (JPEG, PNG, WebP, GIF)
and PDFs. Executables and archives are recognised so the refusal can say what they are; anything
else is "unknown" and refused too.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO

IMAGE, PDF, EXECUTABLE, ARCHIVE, OFFICE, UNKNOWN = (
	"image",
	"pdf",
	"executable",
	"archive",
	"office",
	"unknown",
)


@dataclass(frozen=True)
class Kind:
	category: str  # IMAGE | PDF | EXECUTABLE | ARCHIVE | OFFICE | UNKNOWN
	mime_type: str
	extension: str  # without the dot; "" when unknown
	label: str  # what to call it in a log or a refusal

	@property
	def accepted(self) -> bool:
		return self.category in (IMAGE, PDF)


UNKNOWN_KIND = Kind(UNKNOWN, "application/octet-stream", "", "unrecognised file")

# (signature at offset 0, kind)
_PREFIXES: tuple[tuple[bytes, Kind], ...] = (
	(b"\xff\xd8\xff", Kind(IMAGE, "image/jpeg", "jpg", "JPEG image")),
	(b"\x89PNG\r\n\x1a\n", Kind(IMAGE, "image/png", "png", "PNG image")),
	(b"GIF87a", Kind(IMAGE, "image/gif", "gif", "GIF image")),
	(b"GIF89a", Kind(IMAGE, "image/gif", "gif", "GIF image")),
	(b"%PDF-", Kind(PDF, "application/pdf", "pdf", "PDF document")),
	(b"\x7fELF", Kind(EXECUTABLE, "application/x-executable", "", "ELF executable")),
	(b"MZ", Kind(EXECUTABLE, "application/x-msdownload", "", "Windows executable")),
	(b"\xfe\xed\xfa\xce", Kind(EXECUTABLE, "application/x-mach-binary", "", "Mach-O executable")),
	(b"\xfe\xed\xfa\xcf", Kind(EXECUTABLE, "application/x-mach-binary", "", "Mach-O executable")),
	(b"\xce\xfa\xed\xfe", Kind(EXECUTABLE, "application/x-mach-binary", "", "Mach-O executable")),
	(b"\xcf\xfa\xed\xfe", Kind(EXECUTABLE, "application/x-mach-binary", "", "Mach-O executable")),
	(b"\xca\xfe\xba\xbe", Kind(EXECUTABLE, "application/x-mach-binary", "", "Mach-O or Java class")),
	(b"dex\n", Kind(EXECUTABLE, "application/vnd.android.dex", "", "Android executable")),
	(b"#!", Kind(EXECUTABLE, "text/x-script", "", "script")),
	(b"PK\x03\x04", Kind(ARCHIVE, "application/zip", "zip", "ZIP archive")),
	(b"PK\x05\x06", Kind(ARCHIVE, "application/zip", "zip", "ZIP archive")),
	(b"Rar!\x1a\x07", Kind(ARCHIVE, "application/vnd.rar", "rar", "RAR archive")),
	(b"7z\xbc\xaf\x27\x1c", Kind(ARCHIVE, "application/x-7z-compressed", "7z", "7-Zip archive")),
	(b"\x1f\x8b", Kind(ARCHIVE, "application/gzip", "gz", "gzip archive")),
	(b"BZh", Kind(ARCHIVE, "application/x-bzip2", "bz2", "bzip2 archive")),
	(b"\xfd7zXZ\x00", Kind(ARCHIVE, "application/x-xz", "xz", "xz archive")),
	(b"\x28\xb5\x2f\xfd", Kind(ARCHIVE, "application/zstd", "zst", "zstd archive")),
	(b"MSCF", Kind(ARCHIVE, "application/vnd.ms-cab-compressed", "cab", "cabinet archive")),
	(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Kind(OFFICE, "application/x-ole-storage", "", "old Office file")),
)
_PDF = next(kind for prefix, kind in _PREFIXES if prefix == b"%PDF-")
_WEBP = Kind(IMAGE, "image/webp", "webp", "WebP image")
_TAR = Kind(ARCHIVE, "application/x-tar", "tar", "tar archive")
_HEIC = Kind(UNKNOWN, "image/heic", "", "HEIC image")
_OOXML = Kind(OFFICE, "application/vnd.openxmlformats-officedocument", "", "Office document")


def sniff(content: bytes) -> Kind:
	"""The kind of `content`, judged only by its bytes."""
	head = content[:64]
	if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
		return _WEBP
	if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"hevc"):
		return _HEIC
	if len(content) > 262 and content[257:262] == b"ustar":
		return _TAR
	for prefix, kind in _PREFIXES:
		if head.startswith(prefix):
			if kind.category == ARCHIVE and prefix.startswith(b"PK") and _is_office(content):
				return _OOXML
			return kind
	# readers accept a PDF header within the first 1024 bytes (after a little garbage)
	if b"%PDF-" in content[:1024]:
		return _PDF
	return UNKNOWN_KIND


def _is_office(content: bytes) -> bool:
	"""docx/xlsx/pptx are ZIPs with a [Content_Types].xml: worth telling apart from a plain archive
	only for the refusal's wording (both are refused)."""
	try:
		with zipfile.ZipFile(BytesIO(content)) as archive:
			return "[Content_Types].xml" in archive.namelist()
	except (zipfile.BadZipFile, ValueError, OSError):
		return False
