"""The OpenAI stand-in driven by the real `openai` SDK (as the app drives it)."""

import json
import unittest

import openai

from whatsapp_chatbot.tests.fake_openai import FakeOpenAI, call, fail, from_request, last_tool_result, say


class TestFakeOpenAIWithTheSDK(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		cls.fake = FakeOpenAI(cached_tokens=8).start()
		cls.client = openai.OpenAI(api_key="sk-test", base_url=cls.fake.base_url, max_retries=0, timeout=5)

	@classmethod
	def tearDownClass(cls):
		cls.fake.stop()

	def setUp(self):
		self.fake.reset()

	def test_tool_call_then_answer_from_the_result(self):
		self.fake.script(
			call("stock_balance", {"item": "TORN-M8"}),
			from_request(lambda r: say("Quedan " + json.loads(last_tool_result(r))["total"])),
		)
		tools = [
			{
				"type": "function",
				"function": {
					"name": "stock_balance",
					"parameters": {"type": "object", "properties": {}},
					"strict": True,
				},
			}
		]
		first = self.client.chat.completions.create(
			model="gpt-4.1-mini", messages=[{"role": "user", "content": "stock?"}], tools=tools
		)
		tool_call = first.choices[0].message.tool_calls[0]
		self.assertEqual(
			(tool_call.function.name, json.loads(tool_call.function.arguments)),
			("stock_balance", {"item": "TORN-M8"}),
		)
		self.assertEqual(first.usage.prompt_tokens_details.cached_tokens, 8)
		second = self.client.chat.completions.create(
			model="gpt-4.1-mini",
			messages=[
				{"role": "user", "content": "stock?"},
				{"role": "assistant", "content": None, "tool_calls": [tool_call.model_dump()]},
				{"role": "tool", "tool_call_id": tool_call.id, "content": '{"total": "150"}'},
			],
		)
		self.assertEqual(second.choices[0].message.content, "Quedan 150")
		self.assertEqual(len(self.fake.requests), 2)

	def test_errors_surface_as_the_sdk_classes(self):
		self.fake.script(fail(429), fail(500))
		with self.assertRaises(openai.RateLimitError):
			self.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
		with self.assertRaises(openai.InternalServerError):
			self.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])

	def test_timeout(self):
		self.fake.script(say("late", delay=2))
		with self.assertRaises(openai.APITimeoutError):
			self.client.with_options(timeout=0.5).chat.completions.create(
				model="m", messages=[{"role": "user", "content": "x"}]
			)

	def test_transcription(self):
		self.fake.state.transcript = "haz una cotización para Acme"
		result = self.client.audio.transcriptions.create(
			model="gpt-4o-mini-transcribe", file=("voice.ogg", b"OggS-audio", "audio/ogg")
		)
		self.assertEqual(result.text, "haz una cotización para Acme")
