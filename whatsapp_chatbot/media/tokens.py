"""What an image costs in prompt tokens, by OpenAI's published formulas. Pure module.

Two families (OpenAI's vision guide, "Calculating costs"; the multipliers as billed, checked by
users against the API):
- tiles (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3, gpt-4o-mini): `low` costs the base tokens; `high`
  scales the image into 2048×2048, then its short side to 768, and pays a price per 512-px tile.
- patches (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): 32-px patches, at most 1536 (the image is
  scaled down to fit), times a model multiplier; the detail level makes no difference.
`auto` is counted as `high` (the most it can cost). The same functions give the size the model
actually looks at, so we can send it that size and no bigger.
"""

from __future__ import annotations

import math

DETAILS = ("auto", "low", "high")
# model prefix -> (base tokens, tokens per tile)
TILE_MODELS = {
	"gpt-4o-mini": (2833, 5667),
	"gpt-4o": (85, 170),
	"gpt-4.1": (85, 170),
	"gpt-4.5": (85, 170),
	"gpt-5": (70, 140),
	"o1": (75, 150),
	"o3": (75, 150),
	"chatgpt-4o": (85, 170),
}
# model prefix -> multiplier per 32-px patch
PATCH_MODELS = {
	"gpt-4.1-mini": 1.62,
	"gpt-4.1-nano": 2.46,
	"o4-mini": 1.72,
	"gpt-5-mini": 1.2,
	"gpt-5-nano": 1.5,
	"gpt-5.4-mini": 1.2,
	"gpt-5.4-nano": 1.2,
}
PATCH, MAX_PATCHES = 32, 1536
TILE, TILE_BOX, TILE_SHORT_SIDE, LOW_BOX = 512, 2048, 768, 512


def _family(model: str) -> tuple[str, object]:
	"""("patch", multiplier) or ("tile", (base, per_tile)); longest matching prefix wins."""
	model = (model or "").lower()
	candidates = [(p, "patch", m) for p, m in PATCH_MODELS.items() if model.startswith(p)]
	candidates += [(p, "tile", t) for p, t in TILE_MODELS.items() if model.startswith(p)]
	if not candidates:
		return "tile", TILE_MODELS["gpt-4o"]  # unknown (compatible servers): the common formula
	_prefix, family, value = max(candidates, key=lambda c: len(c[0]))
	return family, value


def seen_size(width: int, height: int, detail: str, model: str) -> tuple[int, int]:
	"""The size the model reduces an image to before looking at it (never larger than given)."""
	family, _value = _family(model)
	if family == "patch":
		return _patch_fit(width, height)
	if detail == "low":
		return _fit(width, height, LOW_BOX, LOW_BOX)
	width, height = _fit(width, height, TILE_BOX, TILE_BOX)
	short = min(width, height)
	if short > TILE_SHORT_SIDE:
		scale = TILE_SHORT_SIDE / short
		width, height = round(width * scale), round(height * scale)
	return width, height


def image_tokens(width: int, height: int, detail: str = "auto", model: str = "gpt-4.1-mini") -> int:
	family, value = _family(model)
	if family == "patch":
		fitted = _patch_fit(width, height)
		patches = math.ceil(fitted[0] / PATCH) * math.ceil(fitted[1] / PATCH)
		return math.ceil(min(patches, MAX_PATCHES) * value)
	base, per_tile = value
	if detail == "low":
		return base
	seen = seen_size(width, height, "high", model)
	return base + per_tile * math.ceil(seen[0] / TILE) * math.ceil(seen[1] / TILE)


def _fit(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int]:
	scale = min(1.0, box_width / width, box_height / height)
	return max(1, round(width * scale)), max(1, round(height * scale))


def _patch_fit(width: int, height: int) -> tuple[int, int]:
	if math.ceil(width / PATCH) * math.ceil(height / PATCH) <= MAX_PATCHES:
		return width, height
	# OpenAI: shrink to the patch budget, then a little more so whole patches cover each side
	scale = math.sqrt(PATCH * PATCH * MAX_PATCHES / (width * height))
	scale *= min(
		math.floor(width * scale / PATCH) / (width * scale / PATCH),
		math.floor(height * scale / PATCH) / (height * scale / PATCH),
	)
	# the rounding guard keeps 1056.0000001 from counting as 34 patches
	return max(1, math.floor(width * scale + 1e-6)), max(1, math.floor(height * scale + 1e-6))
