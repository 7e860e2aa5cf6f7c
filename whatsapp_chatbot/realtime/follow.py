"""Follow a command running on a remote site: its Socket.IO progress events, else polling over REST.

The remote site runs the command (api/remote.py) and publishes `whatsapp_chatbot_progress` to the
room of the user who started it, as it does for its own users (realtime/progress.py). We connect
to the remote's Socket.IO server (Frappe v15's `apps/frappe/realtime/`) as that user with
`Authorization: token key:secret`, in the namespace `/<site>` with `X-Frappe-Site-Name`, and with
Host and Origin naming the remote site as the remote server knows it (its base URL): the server
refuses an Origin whose host differs from Host's, and authenticates us by calling back
`Origin + /api/method/frappe.realtime.get_user_info`. Through an SSH tunnel we connect to a
forwarded local port but still send those names.

If the socket cannot be opened, or drops before the command ends, we poll `command_status` over
REST instead, and `note` says so (the caller puts it on the local Chatbot Command for the Desk).
A REST check also runs right after connecting and every SAFETY_SECONDS, so an event published
before we were listening is never waited for in vain.
"""

from __future__ import annotations

import queue
import time
from urllib.parse import urlsplit

import socketio

EVENT = "whatsapp_chatbot_progress"
FINAL = ("Succeeded", "Failed", "Cancelled", "Expired")
STATUS = "whatsapp_chatbot.api.remote.command_status"
POLL_SECONDS = 2.0
SAFETY_SECONDS = 15.0


class Follower:
	def __init__(
		self,
		client,
		remote_name: str,
		site: str,
		socket_url: str | None,
		on_progress,
		check_cancelled=lambda: None,
		timeout: float = 3600,
	):
		"""`client`: executors/rest.Client. `site`: the remote Frappe site name (its namespace).
		`socket_url`: where to reach its Socket.IO server (None: do not try)."""
		self.client = client
		self.remote_name = remote_name
		self.site = site
		self.socket_url = socket_url
		self.on_progress = on_progress
		self.check_cancelled = check_cancelled
		self.timeout = timeout
		self.events: queue.Queue = queue.Queue()
		self.mode = "socket.io"
		self.note = ""
		self.socket_events = 0
		self._last = (None, None)

	def run(self) -> dict:
		"""Follow until the remote command ends; its final status (command_status)."""
		deadline = time.monotonic() + self.timeout
		sio = self._connect()
		try:
			next_check = time.monotonic()  # at once: it may have moved before we listened
			while time.monotonic() < deadline:
				self.check_cancelled()
				if self.mode == "socket.io":
					try:
						kind, payload = self.events.get(
							timeout=min(1.0, max(0.0, next_check - time.monotonic()))
						)
					except queue.Empty:
						kind, payload = "check", None
					if kind == "progress":
						self.socket_events += 1
						if payload.get("status") in FINAL:
							return self._status()
						self._relay(payload.get("progress"), payload.get("note"))
						continue
					if kind == "dropped":
						self._fall_back(f"the Socket.IO connection dropped ({payload})")
						continue
					if time.monotonic() < next_check:
						continue
					next_check = time.monotonic() + SAFETY_SECONDS
				else:
					time.sleep(POLL_SECONDS)
				status = self._status()
				if status.get("status") in FINAL:
					return status
				self._relay(status.get("progress"), status.get("note"))
			raise TimeoutError(f"{self.remote_name} did not finish in {self.timeout:g} s")
		finally:
			if sio is not None:
				try:
					sio.disconnect()
				except Exception:
					pass

	def _connect(self):
		if not self.socket_url:
			self._fall_back("no Socket.IO address for this site")
			return None

		def progress(message):
			if isinstance(message, dict) and message.get("name") == self.remote_name:
				self.events.put(("progress", message))

		try:
			sio = connect(
				self.client,
				self.site,
				self.socket_url,
				progress,
				on_drop=lambda reason: self.events.put(("dropped", f"disconnected: {reason}")),
			)
		except Exception as e:  # socketio.exceptions.ConnectionError and whatever the transport raised
			self._fall_back(f"the Socket.IO connection could not be opened ({_reason(e)})")
			return None
		self.note = f"followed over Socket.IO ({self.socket_url}, namespace /{self.site})"
		return sio

	def _fall_back(self, reason: str) -> None:
		self.mode = "rest"
		self.note = f"followed by polling over REST every {POLL_SECONDS:g} s: {reason}"

	def _status(self) -> dict:
		return self.client.call(STATUS, name=self.remote_name) or {}

	def _relay(self, percent, note) -> None:
		if percent is None or (percent, note) == self._last:
			return
		self._last = (percent, note)
		self.on_progress(float(percent), note or "")


def connect(client, site: str, socket_url: str, on_progress, on_drop=None) -> socketio.Client:
	"""A Socket.IO client in the site's namespace, authenticated with the client's key, calling
	`on_progress(message)` for each progress event of the key's user. Host and Origin name the site
	as its server knows it (the site's base URL), whatever address the socket really goes to."""
	base = urlsplit(client.site_doc.base_url)
	sio = socketio.Client(
		reconnection=False,
		request_timeout=client.timeout,
		ssl_verify=bool(client.site_doc.verify_tls),
		websocket_extra_options={
			"host": f"{base.hostname}:{urlsplit(socket_url).port}",
			"origin": f"{base.scheme}://{base.netloc}",
		},
	)
	namespace = f"/{site}"
	sio.on(EVENT, on_progress, namespace=namespace)
	if on_drop:
		sio.on("disconnect", lambda *reason: on_drop(reason[0] if reason else "?"), namespace=namespace)
	sio.connect(
		socket_url,
		headers={"Authorization": client.session.headers["Authorization"], "X-Frappe-Site-Name": site},
		transports=["websocket"],
		namespaces=[namespace],
		wait_timeout=client.timeout,
	)
	return sio


def _reason(error: Exception) -> str:
	"""The error without anything secret: socketio's messages name the URL and the server's words."""
	text = str(error) or type(error).__name__
	return text.replace("\n", " ")[:200]
