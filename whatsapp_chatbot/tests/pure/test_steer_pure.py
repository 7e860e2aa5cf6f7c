"""Pure parts of issue 7b: asking for a person, the language a message is written in, phone numbers."""

import pytest

from whatsapp_chatbot.channel.phone import InvalidNumber, calling_code, normalise
from whatsapp_chatbot.interpreter.language import guess
from whatsapp_chatbot.interpreter.person_request import asks_for_person


@pytest.mark.parametrize(
	"text",
	[
		"quiero hablar con una persona",
		"Quiero hablar con una PERSONA!",
		"¿Puedo hablar con un humano?",
		"necesito un asesor por favor",
		"pásame con alguien",
		"talk to a human",
		"I want to speak to a real person",
		"can I talk to someone please",
		"connect me with an agent",
		"/human",
		"/humano",
		"/HUMAN ahora",
		"humano",
		"una persona por favor",
		"agent please",
	],
)
def test_asks_for_person(text):
	assert asks_for_person(text)


@pytest.mark.parametrize(
	"text",
	[
		"",
		None,
		"/help",
		"/",
		"¿cuánto stock queda del ítem TORN-M8?",
		"hola",
		"make a quotation for Acme, 20 units of SKU-1",
		"crea una tarea para llamar a la persona de compras de Acme mañana temprano antes de las diez sin falta",
		"send the invoice to the person in charge of purchasing at Acme Corp before noon tomorrow please",
		"human resources report",
	],
)
def test_does_not_ask_for_person(text):
	assert not asks_for_person(text)


@pytest.mark.parametrize(
	"text, language",
	[
		("¿cuánto stock queda del ítem TORN-M8?", "es"),
		("cuanto nos debe acme", "es"),
		("hola, quiero ver las facturas vencidas", "es"),
		("Lo siento no entiendo", "es"),
		("how much stock is left of TORN-M8?", "en"),
		("show me the overdue invoices please", "en"),
		("what does Acme owe us", "en"),
	],
)
def test_guess_confident(text, language):
	result = guess(text)
	assert result.language == language
	assert result.confident


@pytest.mark.parametrize(
	"text", ["", None, "ok", "TORN-M8", "SINV-00042", "/stock_balance TORN-M8", "👍", "10"]
)
def test_guess_says_nothing(text):
	assert not guess(text).confident


def test_guess_one_word_is_a_lean_not_a_certainty():
	result = guess("gracias")
	assert result.language == "es"
	assert not result.confident


@pytest.mark.parametrize(
	"number, default, expected",
	[
		("+52 55 1234 5678", None, "525512345678"),
		("+52-5512345678", "+1", "525512345678"),  # Frappe's phone field
		("0044 20 7946 0958", "+52", "442079460958"),
		("(555) 123-4567", "+1", "15551234567"),
		("55 1234 5678", "+52", "525512345678"),
		("020 7946 0958", "+44", "442079460958"),
		("5215512345678", "+52", "5215512345678"),
		("1 555 123 4567", "+1", "15551234567"),
		("+1 555 123 4567 ext. 12", None, "15551234567"),
	],
)
def test_normalise(number, default, expected):
	assert normalise(number, default) == expected


@pytest.mark.parametrize(
	"number, default",
	[
		("", "+52"),
		(None, "+52"),
		("call me", "+52"),
		("12345", "+52"),
		("55 1234 5678", None),
		("+1234567890123456", None),
	],
)
def test_normalise_refuses(number, default):
	with pytest.raises(InvalidNumber):
		normalise(number, default)


def test_calling_code():
	assert calling_code("+52") == "52"
	assert calling_code("+1-684") == "1684"
	assert calling_code("") is None


def test_command_help_in_the_users_language():
	from whatsapp_chatbot import texts

	assert (
		texts.command_help("stock_balance", "Stock on hand…", "es")
		== "Existencias de un artículo por almacén"
	)
	assert (
		texts.command_help("stock_balance", "Stock on hand…", "es-MX")
		== "Existencias de un artículo por almacén"
	)
	assert texts.command_help("stock_balance", "Stock on hand…", "fr") == "Stock of an item by warehouse"
	# an admin-defined command has one description: shown as the admin wrote it (first sentence)
	assert texts.command_help("mi_reporte", "Ventas del mes por vendedor. Usa el reporte X.", "en") == (
		"Ventas del mes por vendedor"
	)
	# every built-in command's line is English here and translated in translations/*.csv
	for name in texts.COMMAND_HELP:
		assert texts.command_help(name, "", "pt") != texts.command_help(name, "", "en") != ""
