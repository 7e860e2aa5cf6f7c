"""Which media URLs get our token: Meta's media hosts over HTTPS, or the configured Graph API's own
origin (a stand-in a System Manager pointed the app at), nothing else; redirects follow the same rule."""

import pytest

from whatsapp_chatbot.channel.graph import GraphClient, MediaURLRefused, media_url_allowed
from whatsapp_chatbot.tests.fake_graph import FakeGraph

META = "https://graph.facebook.com"
STAND_IN = "http://127.0.0.1:8011"


@pytest.mark.parametrize(
	"url, base_url",
	[
		("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=65463453&ext=487&hash=x", META),
		("https://LOOKASIDE.fbsbx.com:443/whatsapp_business/attachments/?mid=1", META),
		("https://fbsbx.com/x", META),
		("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", STAND_IN),
		("https://graph.facebook.com/v25.0/media/1", META),  # the Graph API's own origin
		("http://127.0.0.1:8011/media-bytes/1", STAND_IN),
		("http://127.0.0.1:8011/media-bytes/1", STAND_IN + "/"),
		("http://127.0.0.1:8011/media-bytes/1", STAND_IN + "/some/prefix"),
		("https://meta-proxy.example.com/m/1", "https://meta-proxy.example.com:443"),
	],
)
def test_allowed(url, base_url):
	assert media_url_allowed(url, base_url)


@pytest.mark.parametrize(
	"url, base_url",
	[
		("http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", META),  # not HTTPS
		("https://lookaside.fbsbx.com:8443/whatsapp_business/attachments/?mid=1", META),  # other port
		("https://fbsbx.com.evil.example/x", META),
		("https://evilfbsbx.com/x", META),
		("https://lookaside.fbsbx.com.", META),
		("https://user:pw@lookaside.fbsbx.com/x", META),
		("https://lookaside.fbsbx.com\\@evil.example/x", META),  # parsers disagree on this host
		("https://evil.example/?u=https://lookaside.fbsbx.com/", META),
		("http://127.0.0.1:8012/media-bytes/1", STAND_IN),  # another port of the same machine
		("https://127.0.0.1:8011/media-bytes/1", STAND_IN),  # another scheme
		("http://localhost:8011/media-bytes/1", STAND_IN),  # another name for it
		("http://169.254.169.254/latest/meta-data/", STAND_IN),
		("file:///etc/passwd", META),
		("ftp://lookaside.fbsbx.com/x", META),
		("//lookaside.fbsbx.com/x", META),
		("https://[::1]:8011/x", "https://[::1]:8011"),  # no literal addresses in brackets
		("", META),
		("https://lookaside.fbsbx.com:99999/x", META),
	],
)
def test_refused(url, base_url):
	assert not media_url_allowed(url, base_url)


def test_refused_url_gets_no_request_and_a_redirect_off_the_hosts_is_not_followed():
	home, elsewhere = FakeGraph(access_token="t").start(), FakeGraph(access_token="t").start()
	try:
		client = GraphClient("123", "t", base_url=home.base_url)
		for fake in (home, elsewhere):
			fake.add_media("77", b"%PDF-1.4 secret", "application/pdf")
		# the lookup answers a URL on another port: no request reaches it, token or not
		home.media_url["77"] = f"{elsewhere.base_url}/media-bytes/77"
		with pytest.raises(MediaURLRefused) as refused:
			client.download_media("77", max_bytes=1024)
		assert elsewhere.requests == []
		assert refused.value.origin == elsewhere.base_url  # named for the Desk, no token in it
		# the URL is ours but redirects elsewhere: the redirect is not followed
		del home.media_url["77"]
		home.redirect["77"] = f"{elsewhere.base_url}/media-bytes/77"
		with pytest.raises(MediaURLRefused):
			client.download_media("77", max_bytes=1024)
		assert elsewhere.requests == []
		# a redirect that stays on an allowed origin is followed, with the token
		home.redirect["77"] = "/media-bytes/78"
		home.add_media("78", b"%PDF-1.4 moved", "application/pdf")
		assert client.download_media("77").content == b"%PDF-1.4 moved"
	finally:
		home.stop()
		elsewhere.stop()
