"""What an SSH tunnel to a remote site is made of: its configuration (from a Chatbot Remote Site),
the pinned host key and the private key parsed from their text, and the errors a tunnel reports,
each with a `kind` that the executors word for the user (texts "tunnel_<kind>").

No frappe import: a "site" is any object with the Chatbot Remote Site fields and
`get_password(fieldname)`. The private key is never put in a repr, a log or an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

DEFAULT_TIMEOUT = 10.0

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
			except (binascii.Error, ValueError, paramiko.SSHException, paramiko.UnknownKeyType) as exc:
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
