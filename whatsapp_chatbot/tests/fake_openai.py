"""A local stand-in for the OpenAI API, speaking the wire format the app uses (Chat Completions with
tools and usage, audio transcriptions), driven by the real `openai` SDK through `openai_base_url`.

Tests script the model: each /chat/completions request takes the next step of the script.
A step is a tool call, a final text, an HTTP error, or a function of the request (to answer from
the tool result the app sent back, as a real model would). Every request is recorded, so tests can
check what the model was shown (tools offered, history, tool results).

`latency` (and `jitter`) make every model call take what a real model takes: uniform in
[latency - jitter, latency + jitter] seconds, slept in the request's own thread (the server is a
ThreadingHTTPServer), so concurrent calls wait side by side, as they do at OpenAI.

Pure module: standard library only.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from whatsapp_chatbot.media import tokens
from whatsapp_chatbot.tests.local_server import LocalServer

IMAGE_FORMATS = {"image/png", "image/jpeg", "image/gif", "image/webp"}  # what OpenAI accepts


@dataclass
class Step:
	tool: str | None = None
	arguments: dict | str | None = None  # a str is sent as is (to test invalid JSON)
	text: str | None = None
	status: int | None = None  # an HTTP error instead of an answer
	delay: float = 0.0
	respond: object = None  # callable(request_json) -> Step


def call(tool: str, arguments: dict | str | None = None, **kw) -> Step:
	return Step(tool=tool, arguments=arguments if arguments is not None else {}, **kw)


def say(text: str, **kw) -> Step:
	return Step(text=text, **kw)


def fail(status: int, **kw) -> Step:
	return Step(status=status, **kw)


def from_request(function) -> Step:
	"""A step computed from the request, e.g. `from_request(lambda r: say(last_tool_result(r)))`."""
	return Step(respond=function)


def last_user_text(request: dict) -> str:
	"""What the person said in the turn this model request belongs to."""
	[content] = [m.get("content") for m in request.get("messages", []) if m.get("role") == "user"][-1:]
	if isinstance(content, list):
		return " ".join(part.get("text", "") for part in content if part.get("type") == "text")
	return content or ""


def last_tool_result(request: dict) -> str:
	tools = [m for m in request.get("messages", []) if m.get("role") == "tool"]
	return tools[-1]["content"] if tools else ""


@dataclass
class _State:
	script: list[Step] = field(default_factory=list)
	requests: list[dict] = field(default_factory=list)
	transcript: str = "hola"


class FakeOpenAI(LocalServer):
	path_prefix = "/v1"

	def __init__(
		self,
		host: str = "127.0.0.1",
		port: int = 0,
		cached_tokens: int = 0,
		latency: float = 0.0,
		jitter: float = 0.0,
	):
		self.state = _State()
		self.latency = latency  # seconds every chat completion takes (0: answers at once)
		self.jitter = jitter
		self.cached_tokens = cached_tokens
		self.default = say("(no script left)")
		self.models = ["gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini-transcribe"]  # GET /v1/models
		self.api_key: str | None = None  # when set, any other key is refused as OpenAI does
		self._ids = itertools.count(1)
		self._lock = threading.Lock()
		LocalServer.__init__(self, self._handler(), host, port)

	def script(self, *steps: Step) -> None:
		with self._lock:
			self.state.script.extend(steps)

	def reset(self) -> None:
		with self._lock:
			self.state = _State()

	@property
	def requests(self) -> list[dict]:
		with self._lock:
			return list(self.state.requests)

	@property
	def remaining(self) -> int:
		with self._lock:
			return len(self.state.script)

	def _next(self, request: dict) -> Step:
		with self._lock:
			self.state.requests.append(request)
			step = self.state.script.pop(0) if self.state.script else self.default
		while step.respond is not None:
			step = step.respond(request)
		return step

	def think(self) -> None:
		"""Wait as long as a model call takes (`latency` ± `jitter`); nothing when latency is 0."""
		if self.latency > 0:
			time.sleep(max(0.0, random.uniform(self.latency - self.jitter, self.latency + self.jitter)))

	def _completion(self, request: dict, step: Step) -> dict:
		# text at ~4 characters a token; images by OpenAI's formula for the model and detail asked
		pictures = image_parts(request)
		prompt_chars = len(json.dumps(_without_images(request.get("messages", [])))) + len(
			json.dumps(request.get("tools", []))
		)
		image_tokens = sum(
			tokens.image_tokens(*p["size"], p["detail"], request.get("model", "")) for p in pictures
		)
		message: dict = {"role": "assistant", "content": None, "refusal": None}
		if step.tool:
			arguments = step.arguments if isinstance(step.arguments, str) else json.dumps(step.arguments)
			message["tool_calls"] = [
				{
					"id": f"call_{next(self._ids)}",
					"type": "function",
					"function": {"name": step.tool, "arguments": arguments},
				}
			]
			finish, completion_chars = "tool_calls", len(arguments)
		else:
			message["content"] = step.text
			finish, completion_chars = "stop", len(step.text or "")
		prompt_tokens = max(1, prompt_chars // 4) + image_tokens
		return {
			"id": f"chatcmpl-{next(self._ids)}",
			"object": "chat.completion",
			"created": int(time.time()),
			"model": request.get("model", "fake"),
			"choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
			"usage": {
				"prompt_tokens": prompt_tokens,
				"completion_tokens": max(1, completion_chars // 4),
				"total_tokens": prompt_tokens + max(1, completion_chars // 4),
				"prompt_tokens_details": {"cached_tokens": min(self.cached_tokens, prompt_tokens)},
			},
		}

	def _handler(self):
		fake = self

		class Handler(BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *args):
				pass

			def _reply(self, status: int, body: dict, headers: dict | None = None):
				data = json.dumps(body).encode()
				self.send_response(status)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(data)))
				for key, value in (headers or {}).items():
					self.send_header(key, value)
				self.end_headers()
				self.wfile.write(data)

			def _key_refused(self) -> bool:
				"""OpenAI's 401 for a wrong key (the SDK raises AuthenticationError with this text)."""
				given = self.headers.get("Authorization", "").removeprefix("Bearer ")
				if fake.api_key is None or given == fake.api_key:
					return False
				self._reply(
					401,
					{
						"error": {
							"message": f"Incorrect API key provided: {given[:3]}*****{given[-4:]}. You can find "
							"your API key at https://platform.openai.com/account/api-keys.",
							"type": "invalid_request_error",
							"param": None,
							"code": "invalid_api_key",
						}
					},
					{"x-should-retry": "false"},
				)
				return True

			def do_GET(self):
				if self._key_refused():
					return
				if self.path.rstrip("/").endswith("/models"):
					return self._reply(
						200,
						{
							"object": "list",
							"data": [
								{"id": model, "object": "model", "created": 1700000000, "owned_by": "openai"}
								for model in fake.models
							],
						},
					)
				return self._reply(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

			def do_POST(self):
				raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
				if self._key_refused():
					return
				if not self.headers.get("Authorization", "").startswith("Bearer "):
					return self._reply(
						401,
						{
							"error": {
								"message": "No API key",
								"type": "invalid_request_error",
								"code": "invalid_api_key",
							}
						},
					)
				if self.path.endswith("/audio/transcriptions"):
					with fake._lock:
						fake.state.requests.append({"path": self.path, "bytes": len(raw)})
						text = fake.state.transcript
					return self._reply(200, {"text": text})
				if not self.path.endswith("/chat/completions"):
					return self._reply(
						404, {"error": {"message": "not found", "type": "invalid_request_error"}}
					)
				request = json.loads(raw or b"{}")
				problem = image_problem(request)
				if problem:  # refused before any model sees it, as OpenAI does: no script step used
					with fake._lock:
						fake.state.requests.append(request)
					return self._reply(
						400,
						{
							"error": {
								"message": problem,
								"type": "invalid_request_error",
								"param": None,
								"code": "invalid_image_format",
							}
						},
						{"x-should-retry": "false"},
					)
				step = fake._next(request)
				fake.think()
				if step.delay:
					time.sleep(step.delay)
				if step.status:
					# x-should-retry: false keeps the SDK from retrying, so a test sees exactly one failure
					return self._reply(
						step.status,
						{
							"error": {
								"message": f"fake error {step.status}",
								"type": "server_error",
								"code": None,
							}
						},
						{"x-should-retry": "false"},
					)
				return self._reply(200, fake._completion(request, step))

		return Handler


# -- image input: what OpenAI checks, and what the tests look at ------------------------------


def image_parts(request: dict) -> list[dict]:
	"""Every image part of the request's messages: {mime, content, size, detail}."""
	found = []
	for message in request.get("messages", []):
		content = message.get("content")
		if not isinstance(content, list):
			continue
		for part in content:
			if part.get("type") != "image_url":
				continue
			url = (part.get("image_url") or {}).get("url", "")
			header, _, data = url.partition(",")
			mime = header.removeprefix("data:").removesuffix(";base64")
			try:
				decoded = base64.b64decode(data, validate=True)
			except ValueError:
				decoded = b""
			found.append(
				{
					"mime": mime,
					"content": decoded,
					"size": image_size(decoded) or (0, 0),
					"detail": (part.get("image_url") or {}).get("detail") or "auto",
					"is_data_url": url.startswith("data:") and ";base64," in url,
				}
			)
	return found


def image_problem(request: dict) -> str | None:
	"""OpenAI's refusal for an image part it cannot use (not a base64 data URL of a PNG, JPEG,
	GIF or WebP whose bytes are what the URL says)."""
	for part in image_parts(request):
		actual = _image_format(part["content"])
		if not part["is_data_url"] or actual not in IMAGE_FORMATS or actual != part["mime"]:
			return (
				"You uploaded an unsupported image. Please make sure your image has of one the following "
				"formats: ['png', 'jpeg', 'gif', 'webp']."
			)
	return None


def _without_images(messages: list) -> list:
	return [
		{**m, "content": [p for p in m["content"] if p.get("type") != "image_url"]}
		if isinstance(m.get("content"), list)
		else m
		for m in messages
	]


def _image_format(content: bytes) -> str | None:
	if content[:3] == b"\xff\xd8\xff":
		return "image/jpeg"
	if content[:8] == b"\x89PNG\r\n\x1a\n":
		return "image/png"
	if content[:6] in (b"GIF87a", b"GIF89a"):
		return "image/gif"
	if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
		return "image/webp"
	return None


def image_size(content: bytes) -> tuple[int, int] | None:
	"""Width and height from a PNG or JPEG header (what OpenAI bills by)."""
	if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
		return struct.unpack(">II", content[16:24])
	if content[:2] != b"\xff\xd8":
		return None
	position = 2
	while position + 9 < len(content) and content[position] == 0xFF:
		marker = content[position + 1]
		if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
			height, width = struct.unpack(">HH", content[position + 5 : position + 9])
			return width, height
		(length,) = struct.unpack(">H", content[position + 2 : position + 4])
		position += 2 + length
	return None
