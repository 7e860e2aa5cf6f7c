"""SSH tunnels to remote sites (paramiko): one SSH connection per remote site and process, shared by
every request of that process to that site, closed when idle, reopened after a drop.

Why paramiko: it is synchronous like the rest of a Frappe worker (asyncssh would need an event loop
per job), and `Transport.open_channel("direct-tcpip", …)` behind a local listening socket is all a
forward needs. Written against paramiko 5 (no DSS, no SHA-1 `ssh-rsa` signatures,
`PKey.from_type_string`).

Security: the server's host key is pinned (`ssh_host_key`, OpenSSH "type base64" form); it is
compared before any credential is sent and a mismatch refuses to connect (there is no "accept new
key"). The private key comes from a Password field, lives only in memory and is never logged or put
in an error message. Every step has a timeout: TCP connect, banner, key exchange, authentication and
opening each forwarded channel.

The pool is per process. Frappe's RQ worker forks a process for every job, so a tunnel is reused by
the requests of one job (a turn with several tool calls, a long export's pages), and by the threads of
a long-lived web process; a forked child never touches its parent's connections.

This module imports nothing from frappe: a "site" is any object with the Chatbot Remote Site fields
and `get_password(fieldname)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import select
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

DEFAULT_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0
KEEPALIVE_INTERVAL = 15
BUFFER = 65536


# ---------------------------------------------------------------------------------------------
# errors: each has a `kind` the executor maps to a text in the user's language (texts.tunnel_*)


class TunnelError(Exception):
	kind = "unreachable"

	def __init__(self, message: str, site: str | None = None):
		super().__init__(message)
		self.site = site


class HostKeyMismatch(TunnelError):
	kind = "host_key_mismatch"


class AuthRefused(TunnelError):
	kind = "auth_refused"


class ConnectTimeout(TunnelError):
	kind = "connect_timeout"


class Unreachable(TunnelError):
	kind = "unreachable"


class TunnelDropped(TunnelError):
	kind = "dropped"


class ForwardRefused(TunnelError):
	"""The SSH server is up but could not reach the target: the remote site (or its database) is down."""

	kind = "remote_down"


class BadTunnelConfig(TunnelError):
	kind = "config"


# ---------------------------------------------------------------------------------------------
# keys


RSA_SIGNATURES = ["rsa-sha2-512", "rsa-sha2-256"]


def parse_host_key(text: str) -> paramiko.PKey:
	"""A public host key as OpenSSH prints it: "ssh-ed25519 AAAA… [comment]"; a known_hosts or
	ssh-keyscan line ("host ssh-ed25519 AAAA…") is accepted too."""
	words = (text or "").split()
	for i, word in enumerate(words[:-1]):
		if word.startswith(("ssh-", "ecdsa-")):
			try:
				blob = base64.b64decode(words[i + 1], validate=True)
				return paramiko.PKey.from_type_string(word, blob)
			except (binascii.Error, ValueError, paramiko.SSHException) as exc:
				raise BadTunnelConfig(f"The SSH host key is not a valid {word} key ({exc})") from None
	raise BadTunnelConfig(
		'The SSH host key must be the server\'s public key in OpenSSH form, "ssh-ed25519 AAAA…" '
		"(ssh-keyscan -t ed25519 HOST prints it)"
	)


def load_private_key(text: str) -> paramiko.PKey:
	"""An Ed25519, ECDSA or RSA private key (OpenSSH or PEM format, without a passphrase)."""
	data = (text or "").strip().encode() + b"\n"
	try:
		try:
			loaded = serialization.load_ssh_private_key(data, password=None)
		except ValueError:
			loaded = serialization.load_pem_private_key(data, password=None)
	except TypeError:
		raise BadTunnelConfig("The SSH private key is protected by a passphrase; store one without") from None
	except (ValueError, binascii.Error):
		raise BadTunnelConfig(
			"The SSH private key could not be read (OpenSSH or PEM Ed25519/ECDSA/RSA key expected)"
		) from None
	if isinstance(loaded, ed25519.Ed25519PrivateKey):
		key_class = paramiko.Ed25519Key
	elif isinstance(loaded, ec.EllipticCurvePrivateKey):
		key_class = paramiko.ECDSAKey
	elif isinstance(loaded, rsa.RSAPrivateKey):
		key_class = paramiko.RSAKey
	else:
		raise BadTunnelConfig(f"SSH keys of type {type(loaded).__name__} are not supported")
	try:
		return key_class.from_private_key(io.StringIO(data.decode()))
	except (paramiko.SSHException, ValueError):
		raise BadTunnelConfig("The SSH private key could not be read") from None


def fingerprint(key: paramiko.PKey) -> str:
	return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class TunnelConfig:
	site: str
	ssh_host: str
	ssh_port: int
	ssh_user: str
	host_key: str
	private_key: str = field(repr=False)
	timeout: float = DEFAULT_TIMEOUT

	@classmethod
	def from_site(cls, site) -> TunnelConfig:
		missing = [f for f in ("ssh_host", "ssh_user", "ssh_host_key") if not site.get(f)]
		if missing:
			raise BadTunnelConfig(f"The SSH tunnel needs {', '.join(missing)}", site.site_name)
		private_key = site.get_password("ssh_private_key", raise_exception=False)
		if not private_key:
			raise BadTunnelConfig("The SSH tunnel needs a private key", site.site_name)
		return cls(
			site=site.site_name,
			ssh_host=site.ssh_host,
			ssh_port=int(site.get("ssh_port") or 22),
			ssh_user=site.ssh_user,
			host_key=site.ssh_host_key,
			private_key=private_key,
			timeout=float(site.get("timeout") or DEFAULT_TIMEOUT),
		)

	@property
	def digest(self) -> str:
		"""Changes when anything that shapes the connection changes (a saved new key, another host)."""
		parts = (self.ssh_host, self.ssh_port, self.ssh_user, self.host_key, self.private_key, self.timeout)
		return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def remote_target(site) -> tuple[str, int]:
	"""Where the SSH server forwards the site's HTTP traffic (remote_host/remote_port, else the host
	and port of base_url as seen from the SSH server)."""
	parts = urlsplit(site.base_url)
	host = site.get("remote_host") or parts.hostname or "127.0.0.1"
	port = int(site.get("remote_port") or parts.port or (443 if parts.scheme == "https" else 80))
	return host, port


def host_header(site) -> str:
	"""The remote site as its own server knows it (Frappe resolves the site from Host, and Frappe's
	Socket.IO server wants Origin's host to equal Host's)."""
	return urlsplit(site.base_url).netloc


# ---------------------------------------------------------------------------------------------
# one SSH connection with its local forwards


class Tunnel:
	def __init__(self, config: TunnelConfig):
		self.config = config
		self.transport: paramiko.Transport | None = None
		self.forwards: dict[tuple[str, int], _Forward] = {}
		self.lock = threading.Lock()
		self.last_used = time.monotonic()
		self.active_channels = 0
		self.failure: TunnelError | None = None  # the last forward failure, for explain()
		self.opened_at: float | None = None
		self.closing = False

	# lifecycle ---------------------------------------------------------------------------------
	def open(self) -> Tunnel:
		config = self.config
		pinned = parse_host_key(config.host_key)
		key = load_private_key(config.private_key)
		address = f"{config.ssh_host}:{config.ssh_port}"
		try:
			sock = socket.create_connection((config.ssh_host, config.ssh_port), timeout=config.timeout)
		except TimeoutError:
			raise ConnectTimeout(
				f"No answer from the SSH server {address} in {config.timeout:g} s", config.site
			)
		except OSError as exc:
			raise Unreachable(f"Cannot reach the SSH server {address}: {exc.strerror or exc}", config.site)
		sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small requests, no Nagle delay
		transport = paramiko.Transport(sock)
		transport.banner_timeout = transport.handshake_timeout = config.timeout
		transport.auth_timeout = config.timeout
		# ask only for the pinned key's type, so a server with several host keys shows the pinned one
		transport.get_security_options().key_types = (
			RSA_SIGNATURES if isinstance(pinned, paramiko.RSAKey) else [pinned.get_name()]
		)
		try:
			try:
				transport.start_client(timeout=config.timeout)
			except paramiko.SSHException as exc:
				if "timeout" in str(exc).lower() or isinstance(
					exc.__cause__ or exc.__context__, TimeoutError
				):
					raise ConnectTimeout(
						f"The SSH server {address} did not finish the handshake in {config.timeout:g} s",
						config.site,
					)
				raise Unreachable(f"SSH handshake with {address} failed: {exc}", config.site)
			except (EOFError, OSError) as exc:
				raise Unreachable(
					f"SSH handshake with {address} failed: {exc or type(exc).__name__}", config.site
				)
			try:
				offered = transport.get_remote_server_key()
			except paramiko.SSHException:  # start_client returns at its timeout without a session
				raise ConnectTimeout(
					f"The SSH server {address} did not finish the handshake in {config.timeout:g} s",
					config.site,
				) from None
			if offered.asbytes() != pinned.asbytes():
				raise HostKeyMismatch(
					f"The SSH server {address} showed host key {offered.get_name()} {fingerprint(offered)}, "
					f"not the pinned {pinned.get_name()} {fingerprint(pinned)}. Refusing to connect.",
					config.site,
				)
			try:
				transport.auth_publickey(config.ssh_user, key)
			except paramiko.AuthenticationException:
				raise AuthRefused(
					f"The SSH server {address} refused the key for user {config.ssh_user}", config.site
				)
			except paramiko.SSHException as exc:
				raise ConnectTimeout(f"SSH authentication with {address} did not finish: {exc}", config.site)
			if not transport.is_authenticated():
				raise AuthRefused(
					f"The SSH server {address} did not accept user {config.ssh_user}", config.site
				)
		except BaseException:
			transport.close()
			raise
		transport.set_keepalive(KEEPALIVE_INTERVAL)
		self.transport = transport
		self.opened_at = self.last_used = time.monotonic()
		return self

	def alive(self) -> bool:
		return bool(
			self.transport
			and self.transport.is_active()
			and self.transport.is_authenticated()
			and not self.closing
		)

	def close(self) -> None:
		self.closing = True
		for forward in list(self.forwards.values()):
			forward.close()
		self.forwards.clear()
		if self.transport:
			self.transport.close()

	def idle_for(self) -> float:
		return 0.0 if self.active_channels else time.monotonic() - self.last_used

	# forwards ----------------------------------------------------------------------------------
	def forward(self, host: str, port: int) -> int:
		"""A local port on 127.0.0.1 whose connections reach host:port from the SSH server."""
		with self.lock:
			forward = self.forwards.get((host, port))
			if forward is None:
				forward = self.forwards[(host, port)] = _Forward(self, host, port)
			self.last_used = time.monotonic()
			return forward.port

	def record(self, failure: TunnelError) -> None:
		self.failure = failure


class _Forward:
	"""A listening socket on 127.0.0.1; each accepted connection becomes one direct-tcpip channel."""

	def __init__(self, tunnel: Tunnel, host: str, port: int):
		self.tunnel, self.host, self.port_remote = tunnel, host, port
		self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		self.listener.bind(("127.0.0.1", 0))
		self.listener.listen(64)
		self.port = self.listener.getsockname()[1]
		self.closed = False
		threading.Thread(target=self._accept, name=f"tunnel-{tunnel.config.site}-{port}", daemon=True).start()

	def close(self) -> None:
		self.closed = True
		try:
			self.listener.close()
		except OSError:
			pass

	def _accept(self) -> None:
		while not self.closed:
			try:
				client, peer = self.listener.accept()
			except OSError:
				return
			client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
			threading.Thread(target=self._serve, args=(client, peer), daemon=True).start()

	def _serve(self, client: socket.socket, peer) -> None:
		tunnel = self.tunnel
		config = tunnel.config
		target = f"{self.host}:{self.port_remote}"
		with tunnel.lock:
			tunnel.active_channels += 1
		try:
			try:
				channel = tunnel.transport.open_channel(
					"direct-tcpip", (self.host, self.port_remote), peer, timeout=config.timeout
				)
			except paramiko.ChannelException as exc:
				tunnel.record(
					ForwardRefused(f"The SSH server could not reach {target}: {exc.text}", config.site)
				)
				return client.close()
			except (paramiko.SSHException, EOFError, OSError) as exc:
				tunnel.record(TunnelDropped(f"The SSH tunnel to {config.site} is down ({exc})", config.site))
				return client.close()
			_pump(client, channel)
			if not tunnel.alive() and not tunnel.closing:
				tunnel.record(
					TunnelDropped(
						f"The SSH connection to {config.site} dropped during a request", config.site
					)
				)
		finally:
			with tunnel.lock:
				tunnel.active_channels -= 1
				tunnel.last_used = time.monotonic()


def _pump(client: socket.socket, channel: paramiko.Channel) -> None:
	try:
		while True:
			readable, _, _ = select.select([client, channel], [], [], 5.0)
			if client in readable:
				data = client.recv(BUFFER)
				if not data:
					break
				channel.sendall(data)
			if channel in readable:
				data = channel.recv(BUFFER)
				if not data:
					break
				client.sendall(data)
			if not readable and (channel.closed or not channel.get_transport().is_active()):
				break
	except (OSError, EOFError, paramiko.SSHException):
		pass
	finally:
		channel.close()
		client.close()


# ---------------------------------------------------------------------------------------------
# the per-process pool


class TunnelPool:
	def __init__(self, idle_timeout: float = IDLE_TIMEOUT):
		self.idle_timeout = idle_timeout
		self.tunnels: dict[str, Tunnel] = {}
		self.site_locks: dict[str, threading.Lock] = {}
		self.lock = threading.Lock()
		self.opened = 0  # SSH connections opened by this pool (tunnel reuse is visible in tests)
		self.janitor: threading.Thread | None = None

	def get(self, config: TunnelConfig) -> Tunnel:
		with self.lock:
			site_lock = self.site_locks.setdefault(config.site, threading.Lock())
		with site_lock:
			tunnel = self.tunnels.get(config.site)
			if tunnel and (tunnel.config.digest != config.digest or not tunnel.alive()):
				tunnel.close()
				tunnel = None
			if tunnel is None:
				tunnel = Tunnel(config).open()
				self.opened += 1
				self.tunnels[config.site] = tunnel
				self._start_janitor()
			tunnel.last_used = time.monotonic()
			return tunnel

	def peek(self, site_name: str) -> Tunnel | None:
		return self.tunnels.get(site_name)

	def close(self, site_name: str | None = None) -> None:
		with self.lock:
			names = [site_name] if site_name else list(self.tunnels)
			for name in names:
				tunnel = self.tunnels.pop(name, None)
				if tunnel:
					tunnel.close()

	def close_idle(self) -> None:
		with self.lock:
			for name, tunnel in list(self.tunnels.items()):
				if tunnel.idle_for() > self.idle_timeout or (
					tunnel.transport and not tunnel.transport.is_active()
				):
					self.tunnels.pop(name).close()

	def forget(self) -> None:
		"""In a forked child: drop the parent's tunnels without touching their sockets."""
		self.tunnels = {}
		self.site_locks = {}
		self.lock = threading.Lock()
		self.janitor = None

	def _start_janitor(self) -> None:
		if self.janitor and self.janitor.is_alive():
			return

		def sweep():
			while self.tunnels:
				time.sleep(max(0.2, min(self.idle_timeout / 4, 5.0)))
				self.close_idle()

		self.janitor = threading.Thread(target=sweep, name="tunnel-janitor", daemon=True)
		self.janitor.start()


POOL = TunnelPool()
os.register_at_fork(after_in_child=POOL.forget)


# ---------------------------------------------------------------------------------------------
# the API the remote executor uses


def endpoint(site, pool: TunnelPool | None = None) -> tuple[str, str | None]:
	"""(base URL, Host header) to reach a Chatbot Remote Site: its base_url and no header when direct;
	through the SSH tunnel `http://127.0.0.1:<local port>` and the Host naming the remote site."""
	if not site.get("use_ssh_tunnel"):
		return site.base_url.rstrip("/"), None
	host, port = remote_target(site)
	local_port = forward(site, host, port, pool)
	return f"http://127.0.0.1:{local_port}", host_header(site)


def forward(site, host: str, port: int, pool: TunnelPool | None = None) -> int:
	"""A local port that reaches host:port through the site's SSH connection (the same connection as
	endpoint(): for the Socket.IO port, the database port)."""
	tunnel = (pool or POOL).get(TunnelConfig.from_site(site))
	tunnel.failure = None
	return tunnel.forward(host, int(port))


def explain(site, exc: BaseException | None = None, pool: TunnelPool | None = None) -> TunnelError | None:
	"""After a request through the tunnel failed to connect or broke off: the tunnel's own reason
	(dropped, remote site down behind the SSH server), or None when the tunnel was not the cause."""
	if isinstance(exc, TunnelError):
		return exc
	if not site.get("use_ssh_tunnel"):
		return None
	tunnel = (pool or POOL).peek(site.site_name)
	if tunnel is None:
		return None
	if tunnel.failure:
		return tunnel.failure
	if not tunnel.alive():
		return TunnelDropped(f"The SSH connection to {site.site_name} dropped", site.site_name)
	return None


@contextmanager
def guard(site, pool: TunnelPool | None = None):
	"""Re-raise a connection failure inside the block as the tunnel's TunnelError when it was one."""
	try:
		yield
	except TunnelError:
		raise
	except Exception as exc:
		reason = explain(site, exc, pool)
		if reason is None:
			raise
		raise reason from exc
