"""Media without a site: type sniffing, metadata stripping, PDF reading, image tokens, the model's
user message with a photo or PDF, Meta's sha256."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import pytest
from PIL import Image

from whatsapp_chatbot.interpreter import media_input
from whatsapp_chatbot.media import images, pdf, sniff, tokens
from whatsapp_chatbot.media.digest import sha256_matches
from whatsapp_chatbot.tests import media_samples as samples

BILL = samples.Bill(
	supplier="Proveedora Norte",
	tax_id="PNO010101AB1",
	bill_no="F-00123",
	bill_date="2026-11-20",
	lines=[{"description": "Widget Azul", "qty": 2, "rate": 150.0}],
	total=300.0,
)


def _zip(names: list[str]) -> bytes:
	buffer = io.BytesIO()
	with zipfile.ZipFile(buffer, "w") as archive:
		for name in names:
			archive.writestr(name, "x")
	return buffer.getvalue()


def _image(format: str, **options) -> bytes:
	buffer = io.BytesIO()
	Image.new("RGB", (40, 30), "red").save(buffer, format, **options)
	return buffer.getvalue()


@pytest.mark.parametrize(
	("content", "category", "mime"),
	[
		(_image("JPEG"), sniff.IMAGE, "image/jpeg"),
		(_image("PNG"), sniff.IMAGE, "image/png"),
		(_image("GIF"), sniff.IMAGE, "image/gif"),
		(_image("WEBP"), sniff.IMAGE, "image/webp"),
		(samples.bill_pdf(BILL), sniff.PDF, "application/pdf"),
		(b"\r\n\r\n" + samples.bill_pdf(BILL), sniff.PDF, "application/pdf"),  # garbage before %PDF-
		(samples.elf_named_pdf(), sniff.EXECUTABLE, "application/x-executable"),
		(b"MZ\x90\x00" + b"\x00" * 60, sniff.EXECUTABLE, "application/x-msdownload"),
		(b"#!/bin/sh\nrm -rf /\n", sniff.EXECUTABLE, "text/x-script"),
		(_zip(["a.txt"]), sniff.ARCHIVE, "application/zip"),
		(_zip(["[Content_Types].xml", "word/document.xml"]), sniff.OFFICE, sniff._OOXML.mime_type),
		(b"\x1f\x8b\x08\x00" + b"\x00" * 20, sniff.ARCHIVE, "application/gzip"),
		(b"Rar!\x1a\x07\x01\x00", sniff.ARCHIVE, "application/vnd.rar"),
		(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20, sniff.UNKNOWN, "image/heic"),
		(b"hello, plain text", sniff.UNKNOWN, "application/octet-stream"),
		(b"", sniff.UNKNOWN, "application/octet-stream"),
	],
)
def test_kind_comes_from_the_content(content, category, mime):
	kind = sniff.sniff(content)
	assert (kind.category, kind.mime_type) == (category, mime)
	assert kind.accepted == (category in (sniff.IMAGE, sniff.PDF))


def test_a_program_named_pdf_is_an_executable_even_with_a_pdf_header_inside():
	assert b"%PDF-" in samples.elf_named_pdf()[:1024]
	assert sniff.sniff(samples.elf_named_pdf()).category == sniff.EXECUTABLE


def _pixels(content: bytes) -> bytes:
	with Image.open(io.BytesIO(content)) as image:
		return image.convert("RGB").tobytes()


def test_jpeg_loses_gps_camera_and_comment_but_keeps_pixels():
	photo = samples.bill_photo(BILL, gps=True, orientation=1)
	assert samples.has_gps(photo)
	clean = images.strip_metadata(photo, "image/jpeg")
	assert not samples.has_gps(clean)
	with Image.open(io.BytesIO(clean)) as image:
		assert not image.getexif()
		assert "comment" not in image.info
	assert b"TestPhone" not in clean and b"taken at home" not in clean
	assert _pixels(clean) == _pixels(photo)  # not re-encoded


def test_a_photo_upright_only_by_its_exif_flag_is_turned_upright():
	photo = samples.bill_photo(BILL, gps=True, orientation=6)
	clean = images.strip_metadata(photo, "image/jpeg")
	assert not samples.has_gps(clean) and b"TestPhone" not in clean
	with Image.open(io.BytesIO(clean)) as image:
		assert not image.getexif()
		assert image.size == (1200, 900)  # as the phone showed it


def test_progressive_jpeg_and_trailing_data_after_the_image():
	buffer = io.BytesIO()
	exif = Image.Exif()
	exif[samples.GPS_IFD] = {1: "N", 2: (1.0, 2.0, 3.0)}
	samples.bill_image(BILL).save(buffer, "JPEG", progressive=True, exif=exif.tobytes())
	# a second embedded JPEG after the end of image (as MPF previews are), with its own GPS
	photo = buffer.getvalue() + samples.bill_photo(BILL, gps=True)
	clean = images.strip_metadata(photo, "image/jpeg")
	assert not samples.has_gps(clean)
	assert b"TestPhone" not in clean
	assert _pixels(clean) == _pixels(buffer.getvalue())


def test_png_text_and_exif_chunks_go():
	png = samples.bill_png(BILL)
	assert b"eXIf" in png and b"Reforma" in png
	clean = images.strip_metadata(png, "image/png")
	assert b"eXIf" not in clean and b"Reforma" not in clean
	assert _pixels(clean) == _pixels(png)


def test_webp_is_resaved_without_exif():
	exif = Image.Exif()
	exif[samples.GPS_IFD] = {1: "N", 2: (1.0, 2.0, 3.0)}
	webp = _image("WEBP", exif=exif.tobytes())
	assert samples.has_gps(webp)
	clean = images.strip_metadata(webp, "image/webp")
	assert not samples.has_gps(clean)
	assert sniff.sniff(clean).mime_type == "image/webp"


def test_garbage_claiming_to_be_an_image_is_refused():
	with pytest.raises(images.ImageError):
		images.strip_metadata(b"\xff\xd8\xff\xe0 not really", "image/jpeg")


def test_the_model_gets_the_size_it_would_reduce_to():
	photo = samples.big_photo(400_000)
	width, height = images.size(photo)
	target = tokens.seen_size(width, height, "low", "gpt-4o")
	picture = images.for_model(photo, "image/jpeg", target)
	assert (picture.width, picture.height) == (512, 384)
	assert picture.mime_type == "image/jpeg" and len(picture.content) < len(photo)
	small = _image("PNG")
	assert images.for_model(small, "image/png", (512, 512)).content == small  # untouched


@pytest.mark.parametrize(
	("size", "detail", "model", "expected"),
	[
		((1024, 1024), "high", "gpt-4o", 765),  # OpenAI's worked examples
		((2048, 4096), "high", "gpt-4o", 1105),
		((4096, 8192), "low", "gpt-4o", 85),
		((1024, 1024), "auto", "gpt-4.1", 765),
		((1024, 1024), "low", "gpt-4o-mini", 2833),
		((1800, 2400), "high", "gpt-4.1-mini", 2353),  # 1452 patches x 1.62
		((1800, 2400), "low", "gpt-4.1-mini", 2353),  # detail makes no difference to patch models
		((1024, 1024), "high", "gpt-4.1-nano", 2520),  # 1024 patches x 2.46
		((64, 64), "high", "gpt-4.1-mini", 7),  # 4 patches x 1.62, rounded up
		((1024, 1024), "high", "some-local-model", 765),
	],
)
def test_image_tokens(size, detail, model, expected):
	assert tokens.image_tokens(*size, detail, model) == expected


def test_patch_models_shrink_to_1536_patches():
	width, height = tokens.seen_size(1800, 2400, "high", "gpt-4.1-mini")
	assert (width, height) == (1056, 1408)
	assert -(-width // 32) * -(-height // 32) == 1452


def test_pdf_with_a_text_layer():
	read = pdf.read(samples.bill_pdf(BILL))
	assert read.page_count == 1 and not read.is_scan and read.images == []
	assert "F-00123" in read.text and "PNO010101AB1" in read.text and "TOTAL: 300.00" in read.text


def test_scanned_pdf_is_rendered_to_images():
	read = pdf.read(samples.scan_pdf(BILL, pages=4), render_pages=2)
	assert read.page_count == 4 and read.is_scan and read.text == ""
	assert len(read.images) == 2
	assert all(sniff.sniff(page).mime_type == "image/jpeg" for page in read.images)
	assert max(images.size(read.images[0])) == pdf.RENDER_LONG_SIDE


def test_long_pdf_text_is_cut():
	read = pdf.read(samples.long_pdf(10), max_chars=5000)
	assert read.truncated and len(read.text) <= 5000 and read.pages_read < 10 and read.page_count == 10


@pytest.mark.parametrize("content", [samples.elf_named_pdf(), b"%PDF-1.4\nnothing else", b""])
def test_what_pdfium_cannot_open_is_a_pdf_error(content):
	with pytest.raises(pdf.PdfError):
		pdf.read(content)


def _photo_media(**overrides) -> media_input.MediaForModel:
	picture = images.Picture(_image("JPEG"), "image/jpeg", 40, 30)
	values = {"form": media_input.PHOTO, "filename": "photo-1.jpg", "sent_with_this_message": True}
	return media_input.MediaForModel(pictures=[picture], **{**values, **overrides})


def test_user_content_without_media_is_plain_text():
	assert media_input.user_content(" hola ", None) == "hola"


def test_photo_with_a_caption():
	parts = media_input.user_content("¿cuánto suma?", _photo_media(), detail="high")
	assert [p["type"] for p in parts] == ["text", "image_url", "text"]
	assert parts[-1]["text"] == "¿cuánto suma?"
	url = parts[1]["image_url"]["url"]
	assert url.startswith("data:image/jpeg;base64,") and parts[1]["image_url"]["detail"] == "high"
	assert sniff.sniff(base64.b64decode(url.split(",", 1)[1])).mime_type == "image/jpeg"
	assert media_input.NO_INSTRUCTION not in parts[0]["text"]
	assert "with this message" in parts[0]["text"]


def test_a_photo_alone_asks_for_a_description_and_the_actions_that_fit():
	parts = media_input.user_content("", _photo_media(sent_with_this_message=False, minutes_ago=3))
	assert media_input.NO_INSTRUCTION in parts[0]["text"] and "3 min ago" in parts[0]["text"]
	assert [p["type"] for p in parts] == ["text", "image_url"]


def test_pdf_text_goes_in_as_text():
	media = media_input.MediaForModel(
		form=media_input.PDF_TEXT,
		filename="f.pdf",
		sent_with_this_message=True,
		text="FACTURA F-1",
		page_count=2,
	)
	parts = media_input.user_content("resume", media)
	assert parts[1] == {"type": "text", "text": "FACTURA F-1"} and "2 pages" in parts[0]["text"]
	assert media_input.image_tokens(media, "high", "gpt-4o") == 0


def test_sha256_in_either_of_metas_spellings():
	content = b"bytes of a photo"
	digest = hashlib.sha256(content)
	assert sha256_matches(content, digest.hexdigest())
	assert sha256_matches(content, digest.hexdigest().upper())
	assert sha256_matches(content, base64.b64encode(digest.digest()).decode())
	assert not sha256_matches(content, hashlib.sha256(b"other").hexdigest())
	assert not sha256_matches(content, base64.b64encode(hashlib.sha256(b"other").digest()).decode())
	assert sha256_matches(content, "4654+8g=")  # not a SHA-256 at all (a sample's placeholder)


def test_the_openai_stand_in_bills_images_and_refuses_a_wrong_mime_type():
	import openai

	from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, say

	fake = FakeOpenAI().start()
	try:
		client = openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0, timeout=5)
		photo = samples.bill_photo(BILL)  # 900 x 1200
		picture = images.Picture(photo, "image/jpeg", 900, 1200)
		fake.script(say("una factura"), say("otra"))
		text_only = client.chat.completions.create(
			model="gpt-4o", messages=[{"role": "user", "content": [{"type": "text", "text": "x"}]}]
		).usage.prompt_tokens
		with_image = client.chat.completions.create(
			model="gpt-4o",
			messages=[
				{
					"role": "user",
					"content": [{"type": "text", "text": "x"}, media_input.image_part(picture, "high")],
				}
			],
		).usage.prompt_tokens
		assert with_image - text_only == tokens.image_tokens(900, 1200, "high", "gpt-4o") == 765
		wrong = media_input.image_part(images.Picture(photo, "image/png", 900, 1200))
		with pytest.raises(openai.BadRequestError):
			client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [wrong]}])
		assert fake.remaining == 0  # the refused request used no script step
	finally:
		fake.stop()


def test_download_stops_at_the_size_cap_whether_meta_announces_the_size_or_not():
	from whatsapp_chatbot.channel.graph import GraphClient, MediaTooLarge
	from whatsapp_chatbot.tests.fake_graph import FakeGraph

	fake = FakeGraph(access_token="t").start()
	try:
		client = GraphClient("123", "t", base_url=fake.base_url)
		content = b"\xff\xd8\xff" + bytes(3 * 1024 * 1024)
		fake.add_media("555", content, "image/jpeg")
		with pytest.raises(MediaTooLarge) as announced:
			client.download_media("555", max_bytes=1024 * 1024)
		assert announced.value.size == len(content)
		assert not any(r.path.startswith("/media-bytes/") for r in fake.requests)  # never fetched
		# a lookup that understates the size: the bytes are counted as they arrive
		info = {**client.media_info("555"), "file_size": 10}
		with pytest.raises(MediaTooLarge) as counted:
			client.download_media("555", max_bytes=1024 * 1024, info=info)
		assert 1024 * 1024 < counted.value.size < len(content)
		assert client.download_media("555", max_bytes=len(content)).content == content
	finally:
		fake.stop()
