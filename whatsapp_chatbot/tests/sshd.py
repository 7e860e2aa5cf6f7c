"""A real OpenSSH server for the tunnel tests, run unprivileged as the current user.

Debian's openssh-server (`/usr/sbin/sshd`; .ci/run installs it when missing) started with
`sshd -D -e -f CONFIG` on a free loopback port, with its own generated host key, an authorized_keys
holding generated client keys (Ed25519, ECDSA, RSA), TCP forwarding limited to the given targets
(PermitOpen) and LogLevel DEBUG1, so every forwarded channel shows in its log: that is how the tests
prove traffic went through the tunnel. Non-root sshd needs: UsePAM no (PAM wants root), StrictModes no
(the files are in a temporary directory), and its own PidFile; privilege separation is skipped by
sshd itself when it does not run as root.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from whatsapp_chatbot.tests import children

SSHD = "/usr/sbin/sshd"


def sshd_unavailable() -> str | None:
	"""Why no OpenSSH server can be started here, or None."""
	if not os.access(SSHD, os.X_OK):
		return f"{SSHD} is missing (Debian package openssh-server)"
	return None


def free_port() -> int:
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


def generate_key(key_type: str = "ed25519") -> tuple[str, str]:
	"""(private key in OpenSSH format, public key "type base64")."""
	if key_type == "ed25519":
		key = ed25519.Ed25519PrivateKey.generate()
	elif key_type == "ecdsa":
		key = ec.generate_private_key(ec.SECP256R1())
	elif key_type == "rsa":
		key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
	else:
		raise ValueError(key_type)
	private = key.private_bytes(
		serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
	).decode()
	public = (
		key.public_key()
		.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
		.decode()
	)
	return private, public


class SSHServer:
	def __init__(self, permit_open: list[tuple[str, int]], host_key_type: str = "ed25519"):
		self.permit_open = permit_open
		self.port = free_port()
		self.user = getpass.getuser()
		self.dir = tempfile.mkdtemp(prefix="chatbot-sshd-")
		self.host_private, self.host_public = generate_key(host_key_type)
		# one authorized client key of each supported type
		self.client_keys = {kind: generate_key(kind) for kind in ("ed25519", "ecdsa", "rsa")}
		self.process: subprocess.Popen | None = None
		self.log_path = os.path.join(self.dir, "sshd.log")

	@property
	def host_key(self) -> str:
		return self.host_public

	def client_key(self, kind: str = "ed25519") -> str:
		return self.client_keys[kind][0]

	def _write(self, name: str, text: str, mode: int = 0o600) -> str:
		path = os.path.join(self.dir, name)
		with open(path, "w") as f:
			f.write(text)
		os.chmod(path, mode)
		return path

	def config(self) -> str:
		targets = " ".join(f"{host}:{port}" for host, port in self.permit_open) or "none"
		return "\n".join(
			[
				f"Port {self.port}",
				"ListenAddress 127.0.0.1",
				f"HostKey {os.path.join(self.dir, 'host_key')}",
				f"PidFile {os.path.join(self.dir, 'sshd.pid')}",
				f"AuthorizedKeysFile {os.path.join(self.dir, 'authorized_keys')}",
				f"AllowUsers {self.user}",
				"UsePAM no",
				"StrictModes no",
				"PubkeyAuthentication yes",
				"PasswordAuthentication no",
				"KbdInteractiveAuthentication no",
				"AllowTcpForwarding local",
				f"PermitOpen {targets}",
				"AllowAgentForwarding no",
				"X11Forwarding no",
				"PermitTTY no",
				"MaxStartups 100",
				"LogLevel DEBUG1",
				"",
			]
		)

	def start(self) -> SSHServer:
		if not os.path.exists(SSHD):
			raise RuntimeError(f"{SSHD} is missing: apt-get install -y openssh-server")
		self._write("host_key", self.host_private)
		self._write("authorized_keys", "".join(public + "\n" for _, public in self.client_keys.values()))
		config = self._write("sshd_config", self.config())
		offset = len(self.log())  # a restart appends to the same log
		children.prepare()  # stopped on every way out of this process (tests/children.py)
		children.write_owner_file(self.dir)  # sshd's process title overwrites its environment
		with open(self.log_path, "ab") as log:
			self.process = subprocess.Popen(
				[SSHD, "-D", "-e", "-f", config], stdout=log, stderr=log, start_new_session=True
			)
		children.register(self)
		deadline = time.monotonic() + 15
		while time.monotonic() < deadline:
			if self.process.poll() is not None:
				raise RuntimeError(f"sshd exited ({self.process.returncode}): {self.log()[offset:][-2000:]}")
			if "Server listening" in self.log()[offset:]:
				return self
			time.sleep(0.05)
		self.stop()
		raise RuntimeError(f"sshd did not start: {self.log()[-2000:]}")

	def log(self) -> str:
		try:
			with open(self.log_path, errors="replace") as f:
				return f.read()
		except FileNotFoundError:
			return ""

	def forwarded_channels(self, port: int | None = None) -> list[str]:
		"""sshd's DEBUG1 lines for each direct-tcpip channel (to `port` when given)."""
		lines = [line for line in self.log().splitlines() if "server_request_direct_tcpip" in line]
		return [line for line in lines if port is None or line.rstrip().endswith(f"port {port}")]

	def accepted_logins(self) -> int:
		return self.log().count("Accepted publickey")

	def _pids(self) -> list[int]:
		"""The listener and its per-connection children (each in a session of its own)."""
		if not self.process:
			return []
		try:
			import psutil

			children = [c.pid for c in psutil.Process(self.process.pid).children(recursive=True)]
		except Exception:
			children = []
		return [self.process.pid, *children]

	def kill(self) -> None:
		"""SIGKILL sshd and every connection it serves: the tunnel drops mid-request."""
		for pid in reversed(self._pids()):
			try:
				os.kill(pid, signal.SIGKILL)
			except ProcessLookupError:
				pass
		if self.process:
			self.process.wait(10)
		children.unregister(self)

	def stop(self) -> None:
		if self.process and self.process.poll() is None:
			for pid in reversed(self._pids()):
				try:
					os.kill(pid, signal.SIGTERM)
				except ProcessLookupError:
					pass
			try:
				self.process.wait(10)
			except subprocess.TimeoutExpired:
				self.kill()
		children.unregister(self)

	def cleanup(self) -> None:
		self.stop()
		self.dispose()

	def dispose(self) -> None:
		shutil.rmtree(self.dir, ignore_errors=True)

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc):
		self.cleanup()

	def __repr__(self) -> str:
		return f"<SSHServer 127.0.0.1:{self.port} pid {self.process.pid if self.process else None}>"
