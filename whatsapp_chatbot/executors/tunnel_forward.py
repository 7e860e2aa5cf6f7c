"""One local forward of an SSH tunnel: a listening socket on 127.0.0.1 whose connections become
direct-tcpip channels to a target seen from the SSH server (the remote site's HTTP, Socket.IO or
database port). It lives exactly as long as its SSH connection (executors/tunnels.Tunnel).

Only this process may use it. The port is on loopback, but every local process could reach it: any
user's program, or a fetch the server makes for someone else (an image URL in a PDF being printed),
would get to the remote site's HTTP or database port with nothing in between. So each accepted
connection is checked: its peer address (127.0.0.1:<ephemeral port>) must be a socket held by this
very process, found in the kernel's socket table (/proc/self/net/tcp, the socket's inode) and among
this process's own file descriptors (/proc/self/fd); anything else is closed at once, before a
channel is opened. Why this and not something else: the clients are requests (HTTP), python-socketio
(HTTP and WebSocket) and PyMySQL, and all of them need a TCP host and port; a Unix socket with 0600
permissions would suit PyMySQL only, and a per-forward secret cannot be added to the MySQL or
WebSocket protocols. The check costs one read of the socket table per connection (keep-alive
connections are checked once). Where /proc is missing, psutil answers the same question; when
neither can, the connection is refused.

No frappe import.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import struct
import threading
import time

import paramiko

from whatsapp_chatbot.executors.tunnel_config import ForwardRefused, TunnelDropped, TunnelError

BUFFER = 65536
logger = logging.getLogger(__name__)


class Forward:
	"""127.0.0.1:<port> → (host, port) through `tunnel` (a tunnels.Tunnel). `on_drop(tunnel, error)`
	is told when the SSH connection turns out to be gone."""

	def __init__(self, tunnel, host: str, port: int, on_drop):
		self.tunnel, self.host, self.port_remote, self.on_drop = tunnel, host, port, on_drop
		self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		self.listener.bind(("127.0.0.1", 0))
		self.listener.listen(64)
		self.port = self.listener.getsockname()[1]
		self.closed = False
		self.refused = 0  # connections from other processes, closed unserved
		self.failure: TunnelError | None = None  # the last channel this target refused, until one opens
		site = tunnel.config.site
		threading.Thread(target=self._accept, name=f"tunnel-{site}-{port}", daemon=True).start()

	def close(self) -> None:
		"""Stop listening now. shutdown() wakes the thread blocked in accept(); close() alone would
		leave the socket listening until one more connection came."""
		if self.closed:
			return
		self.closed = True
		try:
			self.listener.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass
		self.listener.close()

	def abandon(self) -> None:
		"""In a forked child: let go of the inherited listener without touching the parent's (no
		shutdown, which would stop the parent's listening too)."""
		self.closed = True
		self.listener.close()

	def _accept(self) -> None:
		while not self.closed:
			try:
				client, peer = self.listener.accept()
			except OSError:
				return
			if self.closed:
				client.close()
				return
			threading.Thread(target=self._serve, args=(client, peer), daemon=True).start()

	def _serve(self, client: socket.socket, peer) -> None:
		if not is_own_connection(peer, self.port):
			self.refused += 1
			logger.warning("tunnel forward %s refused a connection from another process", self.port)
			_reset(client)
			return
		client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		tunnel, config = self.tunnel, self.tunnel.config
		if not tunnel.alive():
			return client.close()  # closing with its SSH connection: the pool hands out a new forward
		with tunnel.lock:
			tunnel.active_channels += 1
		try:
			try:
				channel = tunnel.transport.open_channel(
					"direct-tcpip", (self.host, self.port_remote), peer, timeout=config.timeout
				)
			except paramiko.ChannelException as exc:
				# this target's failure only: the site's other forwards may work (Socket.IO closed, HTTP up)
				self.failure = ForwardRefused(
					f"The SSH server could not reach {self.host}:{self.port_remote}: {exc.text}", config.site
				)
				return client.close()
			except (paramiko.SSHException, EOFError, OSError) as exc:
				client.close()
				return self.on_drop(
					tunnel, TunnelDropped(f"The SSH tunnel to {config.site} is down ({exc})", config.site)
				)
			self.failure = None
			pump(client, channel, tunnel)
			if not tunnel.alive() and not tunnel.closing:
				self.on_drop(
					tunnel,
					TunnelDropped(
						f"The SSH connection to {config.site} dropped during a request", config.site
					),
				)
		finally:
			with tunnel.lock:
				tunnel.active_channels -= 1
				tunnel.last_used = time.monotonic()


def pump(client: socket.socket, channel: paramiko.Channel, tunnel) -> None:
	try:
		while True:
			readable, _, _ = select.select([client, channel], [], [], 5.0)
			if readable:
				tunnel.last_used = time.monotonic()
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


def _reset(client: socket.socket) -> None:
	"""Close with a reset (SO_LINGER 0): the other side learns at once that nobody will answer."""
	try:
		client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	except OSError:
		pass
	client.close()


# ---------------------------------------------------------------------------------------------
# whose connection is it?


def is_own_connection(peer: tuple[str, int], local_port: int) -> bool:
	"""Whether the client end of the connection peer → 127.0.0.1:local_port is a socket of this
	process."""
	try:
		inode = _client_inode(peer, local_port)
	except OSError:
		return _own_by_psutil(peer, local_port)
	if inode is None:
		return False
	return _holds_socket(inode)


def _hex_address(host: str, port: int) -> str:
	# /proc/net/tcp prints the IPv4 address as the kernel stores it (network order read as a
	# native-endian 32-bit number), then the port, both in upper-case hex
	(number,) = struct.unpack("=I", socket.inet_aton(host))
	return f"{number:08X}:{port:04X}"


def _client_inode(peer: tuple[str, int], local_port: int) -> int | None:
	"""The inode of the socket whose local end is `peer` and remote end 127.0.0.1:local_port."""
	local, remote = _hex_address(*peer[:2]), _hex_address("127.0.0.1", local_port)
	with open("/proc/self/net/tcp") as table:
		next(table, None)  # the header
		for line in table:
			fields = line.split()
			if len(fields) > 9 and fields[1] == local and fields[2] == remote:
				return int(fields[9]) or None
	return None


def _holds_socket(inode: int) -> bool:
	wanted = f"socket:[{inode}]"
	for fd in os.listdir("/proc/self/fd"):
		try:
			if os.readlink(f"/proc/self/fd/{fd}") == wanted:
				return True
		except OSError:
			continue  # closed meanwhile
	return False


def _own_by_psutil(peer: tuple[str, int], local_port: int) -> bool:
	try:
		import psutil

		process = psutil.Process()
		listing = getattr(process, "net_connections", None) or process.connections
		connections = listing(kind="tcp4")
	except Exception:
		logger.warning("tunnel forward: cannot tell whose connection this is; refused")
		return False
	return any(
		c.laddr
		and c.raddr
		and tuple(c.laddr) == tuple(peer[:2])
		and tuple(c.raddr) == ("127.0.0.1", local_port)
		for c in connections
	)
