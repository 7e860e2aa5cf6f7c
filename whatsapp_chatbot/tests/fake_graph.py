"""A local stand-in for Meta's Graph API (WhatsApp Cloud API), speaking its real wire format.

Meta cannot be reached from the test machines, so tests, benchmarks and the terminal demo point
`graph_api_base_url` here and drive the app's real Graph client. The server records every request,
hands out wamids and media ids, serves media bytes behind the bearer token, and fails on demand with
any of Meta's error codes (body shaped like shared/webhook-samples/errors/*).

Pure module: standard library only, usable without a site.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from whatsapp_chatbot.tests.fake_templates import TemplateStore
from whatsapp_chatbot.tests.local_server import LocalServer

# HTTP status Meta pairs with each code (observed on the wire and in Meta's docs).
ERROR_HTTP_STATUS = {
	4: 400,
	80007: 400,
	130429: 400,
	131056: 400,
	131047: 400,
	190: 401,
	131026: 400,
	131000: 500,
}
ERROR_MESSAGES = {
	4: "(#4) Application request limit reached",
	80007: "(#80007) Rate limit issues",
	130429: "(#130429) Rate limit hit",
	131056: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
	131047: "Re-engagement message",
	190: "Invalid OAuth access token - Cannot parse access token",
	131026: "Message undeliverable",
	131000: "Something went wrong",
}


@dataclass
class Recorded:
	method: str
	path: str
	headers: dict
	json: dict | None = None
	form: dict | None = None
	at: float = field(default_factory=time.time)


@dataclass
class _Failure:
	code: int | None  # None: answer HTTP `http_status` with no Meta error body
	http_status: int
	delay: float = 0.0
	only_path: str | None = None  # substring of the path the failure applies to


class FakeGraph(LocalServer):
	def __init__(self, access_token: str = "test-token", host: str = "127.0.0.1", port: int = 0):
		self.access_token = access_token
		self.requests: list[Recorded] = []
		self.media: dict[str, tuple[bytes, str]] = {}
		self.announced_sha256: dict[str, str] = {}
		self.announced_size: dict[str, int] = {}  # file_size the lookup announces, when not the real one
		self.media_url: dict[str, str] = {}  # URL the lookup answers, when not this server's own
		self.redirect: dict[str, str] = {}  # /media-bytes/{id} answers 302 to this location
		self.served: dict[str, int] = {}  # media bytes written to a client before it hung up
		self.phone_numbers: dict[str, dict] = {}  # GET /{phone-number-id}: what Meta knows of it
		self.delay = 0.0
		self.read_receipt_delay = 0.0  # hold mark-as-read calls (to kill a worker mid-job)
		self._failures: list[_Failure] = []
		self._wamids: list[str] = []
		self._counter = itertools.count(1)
		self._lock = threading.Lock()
		self._changed = threading.Condition(self._lock)
		self.templates = TemplateStore(lambda: self.base_url)  # Meta's side of message templates
		LocalServer.__init__(self, self._handler(), host, port)

	# -- scripting -------------------------------------------------------------------------

	def fail_next(
		self,
		code: int | None,
		times: int = 1,
		http_status: int | None = None,
		delay: float = 0.0,
		path: str | None = None,
	) -> None:
		"""The next `times` matching requests answer Meta's error `code` (None: bare HTTP error)."""
		status = http_status or ERROR_HTTP_STATUS.get(code, 400 if code else 500)
		with self._lock:
			self._failures.extend(_Failure(code, status, delay, path) for _ in range(times))

	def next_wamids(self, *wamids: str) -> None:
		"""The next sends get these ids (to deliver statuses before the sender records them)."""
		with self._lock:
			self._wamids.extend(wamids)

	def add_media(
		self,
		media_id: str,
		content: bytes,
		mime_type: str,
		sha256: str | None = None,
		file_size: int | None = None,
		url: str | None = None,
		redirect: str | None = None,
	) -> None:
		"""Serve `content` under `media_id`; `sha256` overrides the digest Meta announces (a
		damaged download looks like this), `file_size` the size it announces, `url` the media URL
		the lookup answers (another server's), `redirect` where the bytes' URL sends the client."""
		with self._lock:
			self.media[media_id] = (content, mime_type)
			if sha256:
				self.announced_sha256[media_id] = sha256
			if file_size is not None:
				self.announced_size[media_id] = file_size
			if url:
				self.media_url[media_id] = url
			if redirect:
				self.redirect[media_id] = redirect

	def add_phone_number(
		self,
		phone_number_id: str,
		display_phone_number: str = "+1 555-078-3881",
		verified_name: str = "Test Company",
		quality_rating: str = "GREEN",
	) -> None:
		with self._lock:
			self.phone_numbers[phone_number_id] = {
				"display_phone_number": display_phone_number,
				"verified_name": verified_name,
				"quality_rating": quality_rating,
				"id": phone_number_id,
			}

	def reset(self) -> None:
		with self._lock:
			self.requests.clear()
			self._failures.clear()
			self._wamids.clear()
			self.delay = 0.0
			self.read_receipt_delay = 0.0

	# -- reading what arrived --------------------------------------------------------------

	def sent_messages(self) -> list[dict]:
		"""Bodies of successful message sends (not read receipts), in arrival order."""
		with self._lock:
			return [
				r.json
				for r in self.requests
				if r.json and r.json.get("type") and r.path.endswith("/messages") and r.json.get("_ok")
			]

	def read_receipts(self) -> list[dict]:
		with self._lock:
			return [r.json for r in self.requests if r.json and r.json.get("status") == "read"]

	def wait_for(self, predicate, timeout: float = 20.0):
		"""Wait until predicate(self) is truthy; return its value or raise TimeoutError."""
		deadline = time.monotonic() + timeout
		with self._changed:
			while True:
				self._lock.release()
				try:
					value = predicate(self)
				finally:
					self._lock.acquire()
				if value:
					return value
				remaining = deadline - time.monotonic()
				if remaining <= 0:
					raise TimeoutError("the fake Graph server did not see what was expected")
				self._changed.wait(min(remaining, 0.2))

	# -- the HTTP side ---------------------------------------------------------------------

	def _take_failure(self, path: str) -> _Failure | None:
		with self._lock:
			for index, failure in enumerate(self._failures):
				if failure.only_path is None or failure.only_path in path:
					return self._failures.pop(index)
		return None

	def _image_problem(self, body: dict) -> str | None:
		"""An image message as Meta checks it: an uploaded PNG/JPEG by id (or a link), caption ≤ 1024."""
		if body.get("type") != "image":
			return None
		image = body.get("image") or {}
		if image.get("link"):
			return None
		with self._lock:
			media = self.media.get(image.get("id") or "")
		if media is None:
			return f"unknown media id {image.get('id')!r}"
		if media[1] not in IMAGE_TYPES:
			return f"media {image['id']} is {media[1]}, not an image"
		if len(image.get("caption") or "") > 1024:
			return "caption longer than 1024 characters"
		return None

	def _record(self, recorded: Recorded) -> None:
		with self._changed:
			self.requests.append(recorded)
			self._changed.notify_all()

	def _handler(self):
		fake = self

		class Handler(BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *args):  # keep test output clean
				pass

			def _reply(self, status: int, body: dict | bytes, content_type: str = "application/json"):
				data = body if isinstance(body, bytes) else json.dumps(body).encode()
				self.send_response(status)
				self.send_header("Content-Type", content_type)
				self.send_header("Content-Length", str(len(data)))
				self.end_headers()
				self.wfile.write(data)

			def _stream(self, media_id: str, content: bytes, mime: str):
				"""The bytes in 64 KB writes, counting what left before the client hung up."""
				self.send_response(200)
				self.send_header("Content-Type", mime)
				self.send_header("Content-Length", str(len(content)))
				self.end_headers()
				written = 0
				try:
					for start in range(0, len(content), 65536):
						self.wfile.write(content[start : start + 65536])
						written = min(len(content), start + 65536)
				except OSError:  # the client stopped reading (a size cap) and closed the connection
					self.close_connection = True
				finally:
					with fake._lock:
						fake.served[media_id] = written

			def _error(self, failure: _Failure):
				if failure.code is None:
					return self._reply(failure.http_status, b"<html>Service Unavailable</html>", "text/html")
				return self._reply(
					failure.http_status,
					{
						"error": {
							"message": ERROR_MESSAGES.get(failure.code, f"(#{failure.code}) error"),
							"type": "OAuthException",
							"code": failure.code,
							"error_data": {
								"messaging_product": "whatsapp",
								"details": f"fake error {failure.code}",
							},
							"fbtrace_id": "FAKE-TRACE",
						}
					},
				)

			def _authorised(self) -> bool:
				# the Resumable Upload API's second step sends "OAuth <token>"
				if self.headers.get("Authorization") in (
					f"Bearer {fake.access_token}",
					f"OAuth {fake.access_token}",
				):
					return True
				# byte for byte what Meta answers (shared/webhook-samples/errors, netflie sample)
				self._reply(
					401,
					{
						"error": {
							"message": ERROR_MESSAGES[190],
							"type": "OAuthException",
							"code": 190,
							"fbtrace_id": "AbJuG-rMVv36mjw-r78mKwg",
						}
					},
				)
				return False

			def _pre(self) -> _Failure | None:
				if fake.delay:
					time.sleep(fake.delay)
				failure = fake._take_failure(self.path)
				if failure and failure.delay:
					time.sleep(failure.delay)
				return failure

			def do_GET(self):
				recorded = Recorded("GET", self.path, dict(self.headers))
				fake._record(recorded)
				if not self._authorised():
					return
				failure = self._pre()
				if failure:
					return self._error(failure)
				path, _, query = self.path.partition("?")
				parts = path.strip("/").split("/")
				answer = fake.templates.handle_get(path, query)
				if answer:
					return self._reply(*answer)
				if parts[-1] in fake.phone_numbers:
					# like Meta: only the fields asked for, plus the id
					known = fake.phone_numbers[parts[-1]]
					asked = parse_qs(query).get("fields", [""])[0].split(",")
					return self._reply(200, {k: v for k, v in known.items() if k in asked or k == "id"})
				if parts[-1].isdigit() and parts[-1] not in fake.media:
					return self._reply(
						400,
						{
							"error": {
								"message": f"Unsupported get request. Object with ID '{parts[-1]}' does not exist, "
								"cannot be loaded due to missing permissions, or does not support this operation.",
								"type": "GraphMethodException",
								"code": 100,
								"error_subcode": 33,
								"fbtrace_id": "FAKE-TRACE",
							}
						},
					)
				if parts[0] == "media-bytes" and parts[-1] in fake.redirect:
					self.send_response(302)
					self.send_header("Location", fake.redirect[parts[-1]])
					self.send_header("Content-Length", "0")
					self.end_headers()
					return None
				if parts[0] == "media-bytes" and parts[-1] in fake.media:
					content, mime = fake.media[parts[-1]]
					return self._stream(parts[-1], content, mime)
				media_id = parts[-1]
				if media_id in fake.media:
					content, mime = fake.media[media_id]
					return self._reply(
						200,
						{
							"messaging_product": "whatsapp",
							"url": fake.media_url.get(media_id) or f"{fake.base_url}/media-bytes/{media_id}",
							"mime_type": mime,
							"sha256": fake.announced_sha256.get(media_id)
							or hashlib.sha256(content).hexdigest(),
							"file_size": fake.announced_size.get(media_id, len(content)),
							"id": media_id,
						},
					)
				return self._reply(
					404,
					{
						"error": {
							"message": "Unsupported get request",
							"type": "GraphMethodException",
							"code": 100,
						}
					},
				)

			def do_POST(self):
				length = int(self.headers.get("Content-Length") or 0)
				raw = self.rfile.read(length)
				recorded = Recorded("POST", self.path, dict(self.headers))
				content_type = self.headers.get("Content-Type", "")
				if content_type.startswith("multipart/form-data"):
					recorded.form = _parse_multipart(raw, content_type)
				else:
					try:
						recorded.json = json.loads(raw or b"{}")
					except ValueError:  # raw bytes (a resumable upload)
						recorded.json = None
				if not self._authorised():
					fake._record(recorded)
					return
				failure = self._pre()
				if failure:
					fake._record(recorded)
					return self._error(failure)

				if self.path.endswith("/media") and recorded.form is not None:
					media_id = f"fake-media-{next(fake._counter)}"
					file_part = recorded.form.get("file") or (b"", "application/octet-stream", "")
					problem = _upload_problem(file_part[0], file_part[1])
					if problem:
						fake._record(recorded)
						return self._reply(400, _invalid(131053, f"Media upload error: {problem}"))
					fake.add_media(media_id, file_part[0], file_part[1])
					fake._record(recorded)
					return self._reply(200, {"id": media_id})

				path, _, query = self.path.partition("?")
				answer = fake.templates.handle_post(path, query, recorded.json, raw)
				if answer:
					fake._record(recorded)
					return self._reply(*answer)
				body = recorded.json or {}
				if body.get("status") == "read":
					fake._record(recorded)
					if fake.read_receipt_delay:
						time.sleep(fake.read_receipt_delay)
					return self._reply(200, {"success": True})
				if body.get("messaging_product") != "whatsapp" or not body.get("type"):
					fake._record(recorded)
					return self._reply(
						400,
						{
							"error": {
								"message": "(#100) Invalid parameter",
								"type": "OAuthException",
								"code": 100,
							}
						},
					)
				problem = fake._image_problem(body)
				if problem:
					fake._record(recorded)
					return self._reply(400, _invalid(131009, f"Parameter value is not valid: {problem}"))
				with fake._lock:
					media = dict(fake.media)
				rejected = fake.templates.check_send(body, media)
				if rejected:
					fake._record(recorded)
					return self._reply(*rejected)
				with fake._lock:
					wamid = fake._wamids.pop(0) if fake._wamids else f"wamid.FAKE{next(fake._counter):08d}"
				body["_ok"] = True
				body["_wamid"] = wamid
				fake._record(recorded)
				recipient = body.get("to") or body.get("recipient")
				return self._reply(
					200,
					{
						"messaging_product": "whatsapp",
						"contacts": [{"input": recipient, "wa_id": recipient}],
						"messages": [{"id": wamid}],
					},
				)

		return Handler


# Meta's media limits (PROTOCOLS.md A5 / Meta's "Supported media types"): images are PNG or JPEG
# up to 5 MB, and the content must be what the declared type says.
IMAGE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
IMAGE_LIMIT = 5 * 1024 * 1024


def _upload_problem(content: bytes, mime_type: str) -> str | None:
	if not content:
		return "empty file"
	if mime_type.startswith("image/"):
		if mime_type not in IMAGE_TYPES:
			return f"{mime_type} is not a supported image type"
		if not content.startswith(IMAGE_TYPES[mime_type]):
			return f"the file is not a {mime_type}"
		if len(content) > IMAGE_LIMIT:
			return "images are limited to 5 MB"
	return None


def _invalid(code: int, message: str) -> dict:
	return {
		"error": {
			"message": message,
			"type": "OAuthException",
			"code": code,
			"error_data": {"messaging_product": "whatsapp", "details": message},
			"fbtrace_id": "FAKE-TRACE",
		}
	}


def _parse_multipart(raw: bytes, content_type: str) -> dict:
	"""{field: value} with files as (bytes, content type, filename). (cgi is gone in Python 3.13.)"""
	message = BytesParser(policy=HTTP).parsebytes(
		b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
	)
	result = {}
	for part in message.iter_parts():
		name = part.get_param("name", header="content-disposition")
		payload = part.get_payload(decode=True) or b""
		filename = part.get_filename()
		if filename:
			result[name] = (payload, part.get_content_type(), filename)
		else:
			result[name] = payload.decode()
	return result
