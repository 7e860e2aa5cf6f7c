"""Tunnel configuration without a server: pinned host keys and private keys from their text, the
config digest, and where a site's traffic goes. The private key never shows in a repr or an error."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from whatsapp_chatbot.executors import tunnel_config as tc
from whatsapp_chatbot.tests.sshd import generate_key


class Site(dict):
	"""A Chatbot Remote Site as tunnel_config sees one: fields and get_password."""

	__getattr__ = dict.get

	def get_password(self, fieldname, raise_exception=True):
		return self.get(fieldname)


def site(**values) -> Site:
	defaults = {
		"site_name": "norte",
		"base_url": "https://norte.example.com",
		"use_ssh_tunnel": 1,
		"ssh_host": "ssh.norte.example.com",
		"ssh_port": 2222,
		"ssh_user": "tunnel",
		"ssh_private_key": generate_key("ed25519")[0],
		"ssh_host_key": generate_key("ed25519")[1],
		"timeout": 7,
	}
	return Site({**defaults, **values})


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_host_keys_of_every_supported_type(kind):
	_, public = generate_key(kind)
	key = tc.parse_host_key(public + " root@norte")
	assert key.asbytes() == base64.b64decode(public.split()[1])
	# a known_hosts / ssh-keyscan line names the host first
	assert tc.parse_host_key(f"[ssh.norte.example.com]:2222 {public}").asbytes() == key.asbytes()


@pytest.mark.parametrize(
	"text",
	["", "AAAAC3NzaC1lZDI1NTE5", "ssh-ed25519 not-base64!!", "ssh-dss AAAAB3NzaC1kc3M=", "ssh-ed25519"],
)
def test_bad_host_keys_are_refused(text):
	with pytest.raises(tc.BadTunnelConfig):
		tc.parse_host_key(text)


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_private_keys_of_every_supported_type(kind):
	private, public = generate_key(kind)
	key = tc.load_private_key(private)
	assert key.asbytes() == base64.b64decode(public.split()[1])


def test_a_pem_rsa_key_loads_too():
	from cryptography.hazmat.primitives.asymmetric import rsa

	pem = (
		rsa.generate_private_key(public_exponent=65537, key_size=2048)
		.private_bytes(
			serialization.Encoding.PEM,
			serialization.PrivateFormat.TraditionalOpenSSL,
			serialization.NoEncryption(),
		)
		.decode()
	)
	assert tc.load_private_key(pem).get_name() == "ssh-rsa"


def test_unreadable_private_keys_say_so_without_quoting_them():
	secret = (
		"-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----"
	)
	with pytest.raises(tc.BadTunnelConfig) as error:
		tc.load_private_key(secret)
	assert "c2VjcmV0" not in str(error.value)
	encrypted = (
		ed25519.Ed25519PrivateKey.generate()
		.private_bytes(
			serialization.Encoding.PEM,
			serialization.PrivateFormat.OpenSSH,
			serialization.BestAvailableEncryption(b"passphrase"),
		)
		.decode()
	)
	with pytest.raises(tc.BadTunnelConfig, match="passphrase"):
		tc.load_private_key(encrypted)


def test_fingerprint_is_openssh_sha256():
	_, public = generate_key("ed25519")
	blob = base64.b64decode(public.split()[1])
	expected = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
	assert tc.fingerprint(tc.parse_host_key(public)) == expected


def test_config_from_a_site_hides_the_key_and_changes_digest_with_it():
	norte = site()
	config = tc.TunnelConfig.from_site(norte)
	assert (config.site, config.ssh_host, config.ssh_port, config.ssh_user, config.timeout) == (
		"norte",
		"ssh.norte.example.com",
		2222,
		"tunnel",
		7.0,
	)
	assert "PRIVATE KEY" not in repr(config)
	assert config.digest == tc.TunnelConfig.from_site(norte).digest
	other_key = Site(norte, ssh_private_key=generate_key("ed25519")[0])
	assert tc.TunnelConfig.from_site(other_key).digest != config.digest


@pytest.mark.parametrize("missing", ["ssh_host", "ssh_user", "ssh_host_key", "ssh_private_key"])
def test_a_tunnel_without_its_parts_is_a_config_error(missing):
	with pytest.raises(tc.BadTunnelConfig) as error:
		tc.TunnelConfig.from_site(Site(site(), **{missing: None}))
	assert error.value.kind == "config"


def test_where_the_traffic_goes_and_the_host_it_names():
	assert tc.remote_target(site(remote_host="10.0.0.5", remote_port=8000)) == ("10.0.0.5", 8000)
	assert tc.remote_target(site()) == ("norte.example.com", 443)
	assert tc.remote_target(site(base_url="http://norte.example.com:8080")) == ("norte.example.com", 8080)
	assert tc.host_header(site(base_url="http://norte.localhost:8000")) == "norte.localhost:8000"
	assert tc.host_header(site()) == "norte.example.com"


def test_error_kinds_are_the_texts_keys():
	kinds = {
		cls.kind
		for cls in (
			tc.HostKeyMismatch,
			tc.AuthRefused,
			tc.ConnectTimeout,
			tc.Unreachable,
			tc.TunnelDropped,
			tc.ForwardRefused,
			tc.BadTunnelConfig,
		)
	}
	from whatsapp_chatbot import texts

	assert {f"tunnel_{k}" for k in kinds} <= set(texts.TEXTS)
	for kind in kinds:
		english = texts.text(f"tunnel_{kind}", "en", site="norte")
		assert texts.text(f"tunnel_{kind}", "es", site="norte") != english
		assert texts.text(f"tunnel_{kind}", "pt", site="norte") != english
