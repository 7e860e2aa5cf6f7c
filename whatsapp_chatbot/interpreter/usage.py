"""Token usage and its estimated cost. Pure module: no frappe import."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Usage:
	prompt_tokens: int = 0
	cached_tokens: int = 0
	completion_tokens: int = 0
	calls: int = 0

	def add(self, usage) -> None:
		"""Add an OpenAI `usage` object (or None, which some compatible servers send)."""
		if usage is None:
			self.calls += 1
			return
		self.prompt_tokens += getattr(usage, "prompt_tokens", 0) or 0
		self.completion_tokens += getattr(usage, "completion_tokens", 0) or 0
		details = getattr(usage, "prompt_tokens_details", None)
		self.cached_tokens += (getattr(details, "cached_tokens", 0) or 0) if details else 0
		self.calls += 1

	@property
	def total(self) -> int:
		return self.prompt_tokens + self.completion_tokens

	def cost(self, price: dict | None) -> float:
		"""USD from a price row {input_per_million, cached_input_per_million, output_per_million}.

		Cached prompt tokens are part of prompt_tokens and billed at the cached rate instead."""
		if not price:
			return 0.0
		fresh = max(0, self.prompt_tokens - self.cached_tokens)
		cached_rate = price.get("cached_input_per_million") or price.get("input_per_million") or 0
		return (
			fresh * (price.get("input_per_million") or 0)
			+ self.cached_tokens * cached_rate
			+ self.completion_tokens * (price.get("output_per_million") or 0)
		) / 1_000_000


def price_for(model: str, prices: list[dict]) -> dict | None:
	"""The price row for a model: exact name first, then the longest row name it starts with
	(so gpt-4.1-mini-2025-04-14 uses the gpt-4.1-mini row)."""
	exact = [p for p in prices if p.get("model") == model]
	if exact:
		return exact[0]
	prefixes = sorted(
		(p for p in prices if p.get("model") and model.startswith(p["model"])),
		key=lambda p: len(p["model"]),
		reverse=True,
	)
	return prefixes[0] if prefixes else None
