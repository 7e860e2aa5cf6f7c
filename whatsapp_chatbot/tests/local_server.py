"""The loopback HTTP server both fakes (Meta's Graph API, OpenAI) run on, in a daemon thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
	daemon_threads = True
	# many workers connect at once under load (benchmarks/capacity.py): socketserver's backlog of 5
	# drops the others' SYNs, and each then waits a second for its retransmission
	request_queue_size = 128

	def handle_error(self, request, client_address):
		# A client that timed out and hung up (as tests make it) is not a server error.
		pass


class LocalServer:
	path_prefix = ""  # appended to base_url (OpenAI's SDK wants …/v1)

	def __init__(self, handler, host: str = "127.0.0.1", port: int = 0):
		# a reply goes out as headers then body, two small writes: with Nagle's algorithm the body
		# waits for the client's delayed ACK (~40 ms on Linux), a stall no real server adds
		handler.disable_nagle_algorithm = True
		self.server = _QuietServer((host, port), handler)
		self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

	@property
	def base_url(self) -> str:
		host, port = self.server.server_address[:2]
		return f"http://{host}:{port}{self.path_prefix}"

	def start(self):
		self._thread.start()
		return self

	def stop(self) -> None:
		self.server.shutdown()
		self.server.server_close()

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc) -> None:
		self.stop()
