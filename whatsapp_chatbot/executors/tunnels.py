"""SSH tunnels to remote sites (paramiko): one SSH connection per remote site and process, shared by
every request of that process to that site, closed when idle, reopened after a drop.

Why paramiko: it is synchronous like the rest of a Frappe worker (asyncssh would need an event loop
per job), and `Transport.open_channel("direct-tcpip", …)` behind a local listening socket is all a
forward needs (tunnel_forward.py: it serves this process only, and closes with its connection). Written against paramiko 5 (no DSS, no SHA-1 `ssh-rsa` signatures,
`PKey.from_type_string`).

Security: the server's host key is pinned (`ssh_host_key`, OpenSSH "type base64" form); it is
compared before any credential is sent and a mismatch refuses to connect (there is no "accept new
key"). The private key comes from a Password field, lives only in memory and is never logged or put
in an error message. Every step has a timeout: TCP connect, banner, key exchange, authentication and
opening each forwarded channel.

The pool is per process. Frappe's RQ worker forks a process for every job, so a tunnel is reused by
the requests of one job (a turn with several tool calls, a long export's pages), and by the threads of
a long-lived web process; a forked child never touches its parent's connections. A local port is
open only while its SSH connection is: idle close, a drop, a changed configuration and the end of the
process close both, and `endpoint`/`forward` hand out the current port (rest.Client asks again when
the one it holds has closed).

This module imports nothing from frappe: a "site" is any object with the Chatbot Remote Site fields
and `get_password(fieldname)`. Configuration, keys and the errors (with their `kind`) are in
tunnel_config.py; they are importable from here too.
"""

from __future__ import annotations

import atexit
import os
import socket
import threading
import time
import weakref
from contextlib import contextmanager
from urllib.parse import urlsplit

import paramiko

from whatsapp_chatbot.executors.tunnel_config import (
	RSA_SIGNATURES,
	AuthRefused,
	BadTunnelConfig,
	ConnectTimeout,
	ForwardRefused,
	HostKeyMismatch,
	TunnelConfig,
	TunnelDropped,
	TunnelError,
	Unreachable,
	fingerprint,
	host_header,
	load_private_key,
	parse_host_key,
	remote_target,
)
from whatsapp_chatbot.executors.tunnel_forward import Forward

IDLE_TIMEOUT = 120.0
KEEPALIVE_INTERVAL = 15


# ---------------------------------------------------------------------------------------------
# one SSH connection


class Tunnel:
	def __init__(self, config: TunnelConfig):
		self.config = config
		self.transport: paramiko.Transport | None = None
		self.lock = threading.Lock()
		self.last_used = time.monotonic()
		self.active_channels = 0
		self.opened_at: float | None = None
		self.closing = False
		self.forwards: dict[tuple[str, int], Forward] = {}  # (host, port) → its local listener

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
		"""The SSH connection and its forwards: a local port is open only while its tunnel is."""
		self.closing = True
		for forward in list(self.forwards.values()):
			forward.close()
		if self.transport:
			self.transport.close()

	def idle(self, idle_timeout: float) -> bool:
		"""No bytes either way for idle_timeout. An open channel (a kept-alive HTTP connection)
		does not keep the tunnel up forever, but one waiting on a slow answer gets the site's
		request timeout on top, after which its client has given up anyway."""
		quiet = time.monotonic() - self.last_used
		return quiet > idle_timeout + (self.config.timeout if self.active_channels else 0)


# ---------------------------------------------------------------------------------------------
# the per-process pool


_POOLS: weakref.WeakSet[TunnelPool] = weakref.WeakSet()


class TunnelPool:
	def __init__(self, idle_timeout: float = IDLE_TIMEOUT):
		_POOLS.add(self)
		self.idle_timeout = idle_timeout
		self.tunnels: dict[str, Tunnel] = {}
		self.failures: dict[str, TunnelError] = {}  # why the site's last connection attempt failed
		self.site_locks: dict[str, threading.Lock] = {}
		self.lock = threading.Lock()
		self.opened = 0  # SSH connections opened by this pool (tunnel reuse is visible in tests)
		self.janitor: threading.Thread | None = None

	def get(self, config: TunnelConfig) -> Tunnel:
		"""The site's live SSH connection: reused, or opened (again)."""
		with self.lock:
			site_lock = self.site_locks.setdefault(config.site, threading.Lock())
		with site_lock:
			tunnel = self.tunnels.get(config.site)
			if tunnel and not tunnel.alive() and not tunnel.closing:
				self.fail(
					config.site, TunnelDropped(f"The SSH connection to {config.site} dropped", config.site)
				)
			if tunnel and (tunnel.config.digest != config.digest or not tunnel.alive()):
				tunnel.close()
				tunnel = None
			if tunnel is None:
				tunnel = Tunnel(config).open()
				self.opened += 1
				self.failures.pop(config.site, None)
				self.tunnels[config.site] = tunnel
				self._start_janitor()
			tunnel.last_used = time.monotonic()
			return tunnel

	def forward(self, config: TunnelConfig, host: str, port: int) -> int:
		"""The local port for host:port through the site's connection (opened now, so a bad key or
		host key fails here and not inside someone's request). The port closes with the connection
		(idle, dropped, replaced): ask again for the current one."""
		tunnel = self.get(config)
		with tunnel.lock:
			forward = tunnel.forwards.get((host, port))
			if forward is None or forward.closed:
				forward = tunnel.forwards[(host, port)] = Forward(tunnel, host, port, self.dropped)
			return forward.port

	def forwards(self, site_name: str) -> list[Forward]:
		tunnel = self.tunnels.get(site_name)
		return list(tunnel.forwards.values()) if tunnel else []

	def dropped(self, tunnel: Tunnel, error: TunnelError) -> None:
		"""A forward found the SSH connection gone: remember why, close it and its forwards now."""
		site = tunnel.config.site
		self.fail(site, error)
		with self.lock:
			if self.tunnels.get(site) is tunnel:
				self.tunnels.pop(site)
		tunnel.close()

	def fail(self, site: str, error: TunnelError) -> None:
		"""Remember why; a connection that dropped and cannot be reopened stays "dropped"."""
		if isinstance(self.failures.get(site), TunnelDropped) and isinstance(
			error, Unreachable | ConnectTimeout
		):
			return
		self.failures[site] = error

	def peek(self, site_name: str) -> Tunnel | None:
		return self.tunnels.get(site_name)

	def close(self, site_name: str | None = None) -> None:
		"""Close SSH connections, and with them their local forwards (all, or one site's)."""
		with self.lock:
			names = [site_name] if site_name else list(self.tunnels)
			for name in names:
				tunnel = self.tunnels.get(name)
				if tunnel:
					tunnel.close()  # closed before it leaves the pool: gone from it means closed
					del self.tunnels[name]

	def close_idle(self) -> None:
		"""Close idle or dead SSH connections and their forwards; the next request opens anew."""
		with self.lock:
			for name, tunnel in list(self.tunnels.items()):
				dead = bool(tunnel.transport and not tunnel.transport.is_active())
				if dead:
					self.fail(name, TunnelDropped(f"The SSH connection to {name} dropped", name))
				if dead or tunnel.idle(self.idle_timeout):
					tunnel.close()  # closed before it leaves the pool: gone from it means closed
					del self.tunnels[name]

	def forget(self) -> None:
		"""In a forked child: drop the parent's tunnels without touching their SSH sockets, and let
		go of the inherited listening sockets (nobody here accepts on them, and they would keep the
		parent's ports listening after the parent closed them)."""
		for tunnel in self.tunnels.values():
			for forward in tunnel.forwards.values():
				forward.abandon()
		self.tunnels = {}
		self.failures = {}
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


def _forget_all() -> None:
	for pool in list(_POOLS):
		pool.forget()


POOL = TunnelPool()
os.register_at_fork(after_in_child=_forget_all)
atexit.register(POOL.close)  # say goodbye to the SSH servers; the ports close with the process anyway


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
	pool = pool or POOL
	config = TunnelConfig.from_site(site)
	try:
		return pool.forward(config, host, int(port))
	except (Unreachable, ConnectTimeout) as exc:
		dropped = pool.failures.get(config.site)
		if isinstance(dropped, TunnelDropped):
			raise dropped from exc  # the connection we had dropped, and the server is still away
		raise


def serving(url: str, pool: TunnelPool | None = None) -> bool:
	"""Whether the local port of `url` (from endpoint()) still forwards: false once its SSH
	connection closed."""
	try:
		port = urlsplit(url).port
	except ValueError:
		return False
	pool = pool or POOL
	with pool.lock:
		tunnels = list(pool.tunnels.values())
	return any(f.port == port and not f.closed for t in tunnels for f in list(t.forwards.values()))


def explain(site, exc: BaseException | None = None, pool: TunnelPool | None = None) -> TunnelError | None:
	"""After a request through the tunnel failed to connect or broke off: the tunnel's own reason
	(dropped, remote site down behind the SSH server, SSH server gone), or None when the tunnel was
	not the cause."""
	if isinstance(exc, TunnelError):
		return exc
	if not site.get("use_ssh_tunnel"):
		return None
	pool = pool or POOL
	failure = pool.failures.get(site.site_name)
	if failure:
		return failure
	tunnel = pool.peek(site.site_name)
	if tunnel and not tunnel.alive() and not tunnel.closing:
		return TunnelDropped(f"The SSH connection to {site.site_name} dropped", site.site_name)
	# the target refused behind the SSH server: the forward the failed request used, when known
	port = _local_port(exc)
	for forward in [f for f in pool.forwards(site.site_name) if f.failure]:
		if port is None or forward.port == port:
			return forward.failure
	return None


def _local_port(exc: BaseException | None) -> int | None:
	"""The local port a failed HTTP request went to (requests' exceptions carry the request)."""
	url = getattr(getattr(exc, "request", None), "url", None)
	try:
		return urlsplit(url).port if url else None
	except ValueError:
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
