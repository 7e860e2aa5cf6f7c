"""The OpenAI client, configured from WhatsApp Chatbot Settings.

Chat Completions rather than Responses: the conversation already lives in our DocTypes (so the
Responses API's server-side state buys nothing), and Chat Completions is what every
OpenAI-compatible server speaks, which `openai_base_url` is for (Azure, proxies, local models and
the tests' stand-in). OpenAI keeps it "supported indefinitely".
"""

from __future__ import annotations

import openai

from whatsapp_chatbot.channel.settings import secret

# What counts as "the assistant is unavailable": after the SDK's own retries (2, with back-off,
# honouring Retry-After), a timeout, a refused connection, 429 or any other API error.
UNAVAILABLE = (
	openai.APITimeoutError,
	openai.APIConnectionError,
	openai.RateLimitError,
	openai.APIStatusError,
)


def make_client(settings, api_key: str | None = None) -> openai.OpenAI:
	"""`api_key`: another endpoint's key (benchmarks/evaluation.py takes OPENAI_API_KEY)."""
	return openai.OpenAI(
		api_key=api_key or secret("openai_api_key"),
		base_url=(settings.openai_base_url or "").strip() or None,
		timeout=float(settings.openai_timeout or 30),
		max_retries=2,
	)


def is_configured() -> bool:
	return bool(secret("openai_api_key"))
