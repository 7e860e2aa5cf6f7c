"""A small WhatsApp Cloud API (Graph API) client. Pure module: requests, no frappe.

The base URL is configurable so tests and benchmarks drive this very client against the local fake
Graph server. Errors come back as `GraphError` classified by Meta's code; the client never retries
by itself: retry policy belongs to the outbox, which records every attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from whatsapp_chatbot.channel import outgoing
from whatsapp_chatbot.channel.errors import GraphError, from_response

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v25.0"
PHONE_NUMBER_FIELDS = ("display_phone_number", "verified_name", "quality_rating")
# Where Meta serves WhatsApp media (https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=…).
MEDIA_HOST_DOMAIN = "fbsbx.com"
MAX_MEDIA_REDIRECTS = 3
# Meta lists 25 templates a page by default; a WABA holds at most a few thousand (250 per name and
# language limit aside), so 200 pages of 100 is far beyond any real account and stops a loop.
TEMPLATE_PAGE_SIZE = 100
MAX_TEMPLATE_PAGES = 200
TEMPLATE_FIELDS = (
	"name",
	"language",
	"status",
	"category",
	"parameter_format",
	"components",
	"quality_score",
	"rejected_reason",
	"id",
)
_PLAIN_NETLOC = re.compile(r"[a-z0-9.-]+(:[0-9]{1,5})?")


@dataclass
class Media:
	content: bytes
	mime_type: str | None
	sha256: str | None = None
	file_size: int | None = None


class MediaTooLarge(Exception):
	"""Media over the caller's size limit (as announced by Meta, or as counted while reading)."""

	def __init__(self, size: int):
		super().__init__(f"media of at least {size} bytes")
		self.size = size


class MediaURLRefused(Exception):
	"""The media URL is not on Meta's media hosts nor on the configured Graph API: nothing was sent."""

	def __init__(self, url: str):
		self.origin = _shown_origin(url)
		super().__init__(
			f"media URL on {self.origin} refused: not Meta's media host ({MEDIA_HOST_DOMAIN}) nor the "
			"Graph API base URL of the Settings; nothing was sent to it"
		)


def _origin(url: str) -> tuple[str, str, int] | None:
	"""(scheme, host, port) of a plain http(s) URL; None for anything else (user info, odd
	characters, no host), since parsers disagree on those and the request could go elsewhere."""
	try:
		parts = urlsplit(url)
		port = parts.port
	except ValueError:
		return None
	netloc = parts.netloc.lower()
	if parts.scheme not in ("http", "https") or not _PLAIN_NETLOC.fullmatch(netloc) or not parts.hostname:
		return None
	return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _shown_origin(url: str) -> str:
	origin = _origin(url)
	if origin:
		return f"{origin[0]}://{origin[1]}:{origin[2]}"
	return "an unusable address" if not url else f"an unusable address ({str(url)[:60]!r})"


def media_url_allowed(url: str, base_url: str = DEFAULT_BASE_URL) -> bool:
	"""Whether the media URL may be fetched with our token: HTTPS on Meta's media hosts, or the very
	scheme, host and port of the Graph API base URL a System Manager configured (a stand-in's)."""
	origin = _origin(url)
	if origin is None:
		return False
	scheme, host, port = origin
	if (
		scheme == "https"
		and port == 443
		and (host == MEDIA_HOST_DOMAIN or host.endswith("." + MEDIA_HOST_DOMAIN))
	):
		return True
	return origin == _origin((base_url or DEFAULT_BASE_URL).rstrip("/"))


class GraphClient:
	def __init__(
		self,
		phone_number_id: str,
		access_token: str,
		base_url: str = DEFAULT_BASE_URL,
		version: str = DEFAULT_VERSION,
		timeout: float = 20.0,
		session: requests.Session | None = None,
	):
		if not phone_number_id or not access_token:
			raise ValueError("the Graph client needs a phone number id and an access token")
		self.phone_number_id = phone_number_id
		self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
		self.version = (version or DEFAULT_VERSION).strip("/")
		# connect timeout short, read timeout as configured: a hung Meta must not hold a worker
		self.timeout = (min(5.0, timeout), timeout)
		self._token = access_token
		self.session = session or requests.Session()

	def __repr__(self) -> str:  # never show the token
		return f"GraphClient({self.base_url}/{self.version}, phone_number_id={self.phone_number_id})"

	def url(self, path: str) -> str:
		return f"{self.base_url}/{self.version}/{path.lstrip('/')}"

	# -- messages --------------------------------------------------------------------------

	def send(
		self, body: dict, wa_id: str | None = None, user_id: str | None = None, reply_to: str | None = None
	) -> str:
		"""Send one message body (from `outgoing`) and return Meta's wamid."""
		answer = self._request(
			"POST", f"{self.phone_number_id}/messages", json=outgoing.address(body, wa_id, user_id, reply_to)
		)
		try:
			return answer["messages"][0]["id"]
		except (KeyError, IndexError, TypeError):
			raise GraphError("Graph API answered without a message id", http_status=200)

	def send_text(
		self, body: str, wa_id: str | None = None, user_id: str | None = None, reply_to: str | None = None
	) -> list[str]:
		"""Send text of any length, split at 4096 characters; returns one wamid per part."""
		return [
			self.send(outgoing.text(part), wa_id, user_id, reply_to) for part in outgoing.split_text(body)
		]

	def mark_read(self, wamid: str, typing: bool = True) -> bool:
		answer = self._request(
			"POST", f"{self.phone_number_id}/messages", json=outgoing.mark_read(wamid, typing)
		)
		return bool(answer.get("success"))

	# -- the business phone number ---------------------------------------------------------

	def phone_number(self, fields=PHONE_NUMBER_FIELDS) -> dict:
		"""The configured number as Meta sees it: display number, verified name, quality rating."""
		return self._request("GET", self.phone_number_id, params={"fields": ",".join(fields)})

	# -- message templates (on the WhatsApp Business Account) -------------------------------

	def list_templates(self, waba_id: str, fields=TEMPLATE_FIELDS, limit: int = TEMPLATE_PAGE_SIZE):
		"""Every template of the account, page after page (a generator of Meta's dicts), following
		`paging.next` to the end. A next URL off the configured Graph API, one seen before, or more
		than MAX_TEMPLATE_PAGES pages raise GraphError: the caller then knows the list is incomplete."""
		if not waba_id:
			raise ValueError("listing templates needs the WhatsApp Business Account id")
		params = {"limit": str(limit)}
		if fields:
			params["fields"] = ",".join(fields)
		url = f"{self.url(f'{waba_id}/message_templates')}?{urlencode(params)}"
		seen: set[str] = set()
		for _ in range(MAX_TEMPLATE_PAGES):
			seen.add(url)
			page = self._json(self._raw("GET", url))
			data = page.get("data") if isinstance(page, dict) else None
			if not isinstance(data, list):
				raise GraphError("Graph API listed templates without a data list", http_status=200)
			yield from (item for item in data if isinstance(item, dict))
			following = ((page.get("paging") or {}).get("next") or "") if data else ""
			if not following:
				return
			following = _without_token(following)
			if _origin(following) != _origin(self.base_url):
				raise GraphError(
					f"template list's next page is on {_shown_origin(following)}, not the Graph API "
					"of the Settings: not followed",
					http_status=200,
				)
			if following in seen:
				raise GraphError("template list's next page was a page already read", http_status=200)
			url = following
		raise GraphError(f"template list longer than {MAX_TEMPLATE_PAGES} pages: stopped", http_status=200)

	def create_template(self, waba_id: str, definition: dict) -> dict:
		"""Submit a template for review: {id, status, category} as Meta answers."""
		answer = self._request("POST", f"{waba_id}/message_templates", json=definition)
		if not answer.get("id"):
			raise GraphError("Graph API created a template without an id", http_status=200)
		return answer

	def app_id(self) -> str:
		"""The id of the Meta app the access token belongs to (the Resumable Upload API needs it)."""
		answer = self._request("GET", "app", params={"fields": "id"})
		if not answer.get("id"):
			raise GraphError("Graph API named no app for the access token", http_status=200)
		return str(answer["id"])

	def upload_example(self, app_id: str, content: bytes, filename: str, mime_type: str) -> str:
		"""Upload a sample file with the Resumable Upload API; returns the handle a template's
		media header gives as `example.header_handle` (a media id from /media is not accepted)."""
		session = self._request(
			"POST",
			f"{app_id}/uploads",
			params={"file_name": filename, "file_length": str(len(content)), "file_type": mime_type},
		)
		if not str(session.get("id") or "").startswith("upload:"):
			raise GraphError("Graph API opened no upload session", http_status=200)
		# this step takes the token as "OAuth <token>", not as a Bearer token
		response = self._raw(
			"POST",
			self.url(session["id"]),
			data=content,
			headers={"Authorization": f"OAuth {self._token}", "file_offset": "0"},
		)
		handle = self._json(response).get("h")
		if not handle:
			raise GraphError("Graph API returned no handle for the uploaded example", http_status=200)
		return handle

	# -- media -----------------------------------------------------------------------------

	def upload_media(self, content: bytes, filename: str, mime_type: str) -> str:
		answer = self._request(
			"POST",
			f"{self.phone_number_id}/media",
			data={"messaging_product": "whatsapp", "type": mime_type},
			files={"file": (filename, content, mime_type)},
		)
		if not answer.get("id"):
			raise GraphError("media upload answered without an id", http_status=200)
		return answer["id"]

	def media_info(self, media_id: str) -> dict:
		"""{url, mime_type, sha256, file_size}; the URL is valid for five minutes."""
		return self._request("GET", media_id)

	def download_media(self, media_id: str, max_bytes: int | None = None, info: dict | None = None) -> Media:
		"""The media's bytes; with `max_bytes`, MediaTooLarge as soon as Meta announces more or more
		arrives (the rest is never read). `info` saves the lookup when the caller already made it.
		MediaURLRefused when the URL (or a redirect) leads off Meta's media hosts."""
		info = info or self.media_info(media_id)
		if not info.get("url"):
			raise GraphError(f"media {media_id} has no URL", http_status=200)
		if max_bytes and _size(info.get("file_size")) > max_bytes:
			raise MediaTooLarge(_size(info["file_size"]))
		response = self._media_response(str(info["url"]), stream=bool(max_bytes))
		if max_bytes:
			received = bytearray()
			try:
				for chunk in response.iter_content(256 * 1024):
					received += chunk
					if len(received) > max_bytes:
						raise MediaTooLarge(len(received))
			finally:
				response.close()
			content = bytes(received)
		else:
			content = response.content
		return Media(
			content=content,
			mime_type=info.get("mime_type") or response.headers.get("Content-Type"),
			sha256=info.get("sha256"),
			file_size=info.get("file_size"),
		)

	def _media_response(self, url: str, stream: bool) -> requests.Response:
		"""GET the media URL with the bearer token (Meta answers an error page without it), only on
		an allowed host, and each redirect only to one: requests would follow them anywhere."""
		for _ in range(MAX_MEDIA_REDIRECTS + 1):
			if not media_url_allowed(url, self.base_url):
				raise MediaURLRefused(url)
			response = self._raw("GET", url, stream=stream, allow_redirects=False)
			if not response.is_redirect:
				return response
			response.close()
			url = urljoin(url, response.headers.get("Location") or "")
		raise GraphError(f"media URL redirected more than {MAX_MEDIA_REDIRECTS} times")

	# -- transport -------------------------------------------------------------------------

	def _request(self, method: str, path: str, **kwargs) -> dict:
		return self._json(self._raw(method, self.url(path), **kwargs))

	@staticmethod
	def _json(response: requests.Response) -> dict:
		try:
			return response.json()
		except ValueError:
			raise GraphError(
				"Graph API answered something that is not JSON", http_status=response.status_code
			)

	def _raw(self, method: str, url: str, headers: dict | None = None, **kwargs) -> requests.Response:
		headers = headers or {"Authorization": f"Bearer {self._token}"}
		try:
			response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
		except requests.Timeout:
			raise GraphError(f"Graph API timed out after {self.timeout[1]:g} s")
		except requests.RequestException as e:
			# str(e) can contain the URL, never the headers: the token stays out of messages.
			raise GraphError(f"Graph API unreachable: {type(e).__name__}")
		if response.status_code >= 400:
			try:
				body = response.json()
			except ValueError:
				body = None
			raise from_response(response.status_code, body)
		return response


def _without_token(url: str) -> str:
	"""Meta's paging URLs repeat the access token as a query parameter; it is sent as a header
	instead, so a URL that reaches a log or an error never carries it."""
	parts = urlsplit(url)
	query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
	return urlunsplit(parts._replace(query=urlencode(query)))


def _size(value) -> int:
	try:
		return int(value or 0)
	except (TypeError, ValueError):
		return 0
