"""The stand-ins' setup endpoints, driven by the real clients: Meta's phone-number read and
OpenAI's model list, with each service's own error for a wrong token or key."""

import openai
import pytest

from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.graph import GraphClient
from whatsapp_chatbot.tests.fake_graph import FakeGraph
from whatsapp_chatbot.tests.fake_openai import FakeOpenAI

PHONE_NUMBER_ID = "106540352242922"


@pytest.fixture(scope="module")
def graph():
	with FakeGraph(access_token="good-token") as fake:
		fake.add_phone_number(PHONE_NUMBER_ID, "+1 555-078-3881", "Ferretería Demo", "YELLOW")
		yield fake


def test_phone_number_fields(graph):
	client = GraphClient(PHONE_NUMBER_ID, "good-token", base_url=graph.base_url)
	assert client.phone_number() == {
		"display_phone_number": "+1 555-078-3881",
		"verified_name": "Ferretería Demo",
		"quality_rating": "YELLOW",
		"id": PHONE_NUMBER_ID,
	}
	request = graph.requests[-1]
	assert (
		request.path
		== f"/v25.0/{PHONE_NUMBER_ID}?fields=display_phone_number%2Cverified_name%2Cquality_rating"
	)


def test_phone_number_with_a_bad_token(graph):
	client = GraphClient(PHONE_NUMBER_ID, "expired-token", base_url=graph.base_url)
	with pytest.raises(GraphError) as raised:
		client.phone_number()
	assert raised.value.code == 190 and raised.value.http_status == 401
	assert "Invalid OAuth access token" in raised.value.describe()


def test_unknown_phone_number_id(graph):
	client = GraphClient("999000111", "good-token", base_url=graph.base_url)
	with pytest.raises(GraphError) as raised:
		client.phone_number()
	assert raised.value.code == 100
	assert "does not exist" in raised.value.message


def test_models_with_the_sdk():
	with FakeOpenAI() as fake:
		fake.api_key = "sk-right"
		client = openai.OpenAI(api_key="sk-right", base_url=fake.base_url, max_retries=0, timeout=5)
		assert "gpt-4.1-mini" in [model.id for model in client.models.list()]
		wrong = openai.OpenAI(api_key="sk-wrong-1234", base_url=fake.base_url, max_retries=0, timeout=5)
		with pytest.raises(openai.AuthenticationError) as raised:
			wrong.models.list()
		assert raised.value.code == "invalid_api_key"
		assert "Incorrect API key provided: sk-*****1234" in raised.value.message


def test_bad_token_body_is_metas(graph):
	"""As in shared/webhook-samples/errors/netflie_http_error_190_invalid_token.json."""
	import requests

	response = requests.get(
		f"{graph.base_url}/v25.0/{PHONE_NUMBER_ID}", headers={"Authorization": "Bearer x"}
	)
	assert response.status_code == 401
	error = response.json()["error"]
	assert set(error) == {"message", "type", "code", "fbtrace_id"}
	assert (error["message"], error["type"], error["code"]) == (
		"Invalid OAuth access token - Cannot parse access token",
		"OAuthException",
		190,
	)
