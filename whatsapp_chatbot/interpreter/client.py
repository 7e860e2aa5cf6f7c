"""The OpenAI client, configured from WhatsApp Chatbot Settings.

Chat Completions rather than Responses: the conversation already lives in our DocTypes (so the
Responses API's server-side state buys nothing), and Chat Completions is what every
OpenAI-compatible server speaks, which `openai_base_url` is for (Azure, proxies, local models and
the tests' stand-in). OpenAI keeps it "supported indefinitely".
"""

from __future__ import annotations

import os

import openai

from whatsapp_chatbot.channel.settings import secret

# What counts as "the assistant is unavailable": after the SDK's own retries (2, with back-off,
# honouring Retry-After), a timeout, a refused connection, 429 or any other API error.
UNAVAILABLE = (
	openai.APITimeoutError,
	openai.APIConnectionError,
	openai.RateLimitError,
	openai.APIStatusError,
)


# The HTTP client under every OpenAI client of this process: (the pid that owns it, or None for
# one a worker's parent made before forking and never used; the client).
_http: tuple[int | None, openai.DefaultHttpxClient] | None = None


def make_client(settings, api_key: str | None = None) -> openai.OpenAI:
	"""`api_key`: another endpoint's key (benchmarks/evaluation.py takes OPENAI_API_KEY).

	Cheap (a tenth of a millisecond): the connection pool and TLS set-up are the process's
	(http_client); the per-request timeout is this client's."""
	return openai.OpenAI(
		api_key=api_key or secret("openai_api_key"),
		base_url=(settings.openai_base_url or "").strip() or None,
		timeout=float(settings.openai_timeout or 30),
		max_retries=2,
		http_client=http_client(),
	)


def is_configured() -> bool:
	return bool(secret("openai_api_key"))


def http_client() -> openai.DefaultHttpxClient:
	"""One HTTP client per process, with the SDK's defaults. Building one loads the system's CA
	certificates into a new TLS context: about 30 ms, which every turn paid when each built its own.
	Its connections are kept, so the second model call of a turn reuses the first one's.

	A process that forks never shares a client that has connections: the child makes its own,
	except for the one a worker's parent made unused before forking (preload), which its forked
	work-horse takes over."""
	global _http
	pid = os.getpid()
	if _http is None or _http[0] not in (None, pid):
		_http = (pid, openai.DefaultHttpxClient())
	elif _http[0] is None:
		_http = (pid, _http[1])  # inherited unused from the worker's parent: this process's from now
	return _http[1]


def preload() -> None:
	"""In an RQ worker's parent, before it forks a work-horse per job (whatsapp_chatbot/preload.py):
	the HTTP client its work-horses take over, and one turn's two model calls answered in process."""
	global _http
	_http = (None, openai.DefaultHttpxClient())
	warm_up()


def warm_up() -> None:
	"""A tool call and a final answer, as a turn asks for them, answered by a server of this
	process on loopback (nothing leaves the machine): the SDK builds its request transformers and
	response models on first use, and the HTTP transport imports its connection modules on the
	first connection, about 0.1 s that every forked job paid again."""
	import json
	import threading
	from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

	calls = iter(range(2))

	class Answer(BaseHTTPRequestHandler):
		protocol_version = "HTTP/1.1"

		def log_message(self, *args):
			pass

		def do_POST(self):
			self.rfile.read(int(self.headers.get("Content-Length") or 0))
			first = next(calls, 1) == 0
			call = {"id": "call_1", "type": "function", "function": {"name": "a_tool", "arguments": "{}"}}
			message = {"role": "assistant", "content": None if first else "ok", "refusal": None}
			if first:
				message["tool_calls"] = [call]
			body = json.dumps(
				{
					"id": "chatcmpl-preload",
					"object": "chat.completion",
					"created": 0,
					"model": "preload",
					"choices": [
						{
							"index": 0,
							"message": message,
							"finish_reason": "tool_calls" if first else "stop",
							"logprobs": None,
						}
					],
					"usage": {
						"prompt_tokens": 1,
						"completion_tokens": 1,
						"total_tokens": 2,
						"prompt_tokens_details": {"cached_tokens": 0},
					},
				}
			).encode()
			self.send_response(200)
			self.send_header("Content-Type", "application/json")
			self.send_header("Content-Length", str(len(body)))
			self.end_headers()
			self.wfile.write(body)

	server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
	thread = threading.Thread(target=server.serve_forever, daemon=True)
	thread.start()
	# a client of its own: the process's shared one stays unused, so its work-horses may take it
	client = openai.OpenAI(
		api_key="-", base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", max_retries=0, timeout=10
	)
	try:
		tool = {
			"type": "function",
			"function": {
				"name": "a_tool",
				"description": "-",
				"parameters": {"type": "object", "properties": {"x": {"type": ["string", "null"]}}},
			},
		}
		messages = [{"role": "system", "content": "-"}, {"role": "user", "content": "-"}]
		reply = (
			client.chat.completions.create(
				model="preload", messages=messages, tools=[tool], parallel_tool_calls=False
			)
			.choices[0]
			.message
		)
		messages += [
			{
				"role": "assistant",
				"content": reply.content,
				"tool_calls": [
					{"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": "{}"}}
					for c in reply.tool_calls or []
				],
			},
			{"role": "tool", "tool_call_id": "call_1", "content": "{}"},
		]
		client.chat.completions.create(
			model="preload", messages=messages, tools=[tool], parallel_tool_calls=False
		)
	finally:
		client.close()
		server.shutdown()
		server.server_close()
		thread.join(5)
