"""Values fitted to their columns: what Meta's senders shape never fails an INSERT."""

import math

import pytest

from whatsapp_chatbot.channel.columns import as_text, cut_bytes, fit


def test_varchar_keeps_the_first_characters():
	assert fit("Cotización " + "x" * 300, "varchar", 140) == ("Cotización " + "x" * 300)[:140]
	assert fit("Ñ" * 300, "varchar", 140) == "Ñ" * 140  # characters, not bytes
	assert fit("short", "varchar", 140) == "short"


def test_text_columns_are_cut_in_bytes_on_a_character_boundary():
	cut = fit("€" * 30000, "text")  # 90,000 bytes in UTF-8
	assert cut == "€" * 21845 and len(cut.encode()) == 65535
	assert fit("a" + "€" * 30000, "text") == "a" + "€" * 21844  # the half character is dropped
	assert fit("x" * 70000, "longtext") == "x" * 70000
	assert cut_bytes("ab€", 3) == "ab"


def test_objects_and_odd_characters_become_text():
	assert fit({"not": "a string"}, "varchar", 140) == '{"not": "a string"}'
	assert fit(["ñ"], "text") == '["ñ"]'
	assert fit(12345, "varchar", 3) == "123"
	assert fit("hola \ud800 mundo", "text") == "hola ? mundo"  # a lone surrogate (JSON allows it)
	assert as_text(True) == "True"


@pytest.mark.parametrize(
	"value, expected",
	[
		(19.4326, 19.4326),
		("19.5", 19.5),
		(1e20, 0.0),
		(float("nan"), 0.0),
		("inf", 0.0),
		("north", 0.0),
		({}, 0.0),
	],
)
def test_numbers_that_do_not_fit_become_zero(value, expected):
	result = fit(value, "decimal")
	assert result == expected and not math.isnan(result)


def test_ints_by_width_and_other_columns_untouched():
	assert fit(2**40, "int") == 0
	assert fit(2**40, "bigint") == 2**40
	assert fit("7", "int") == 7
	assert fit(None, "varchar", 3) is None
	assert fit("2026-01-01 00:00:00", "datetime") == "2026-01-01 00:00:00"
