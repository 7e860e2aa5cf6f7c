"""A varied set of message templates as Meta lists them, for the Graph stand-in's TemplateStore
(tests/fake_templates.py) and the tests that sync and send them.

Pure module (standard library only)."""

from __future__ import annotations


def sample_set(suffix: str = "") -> list[dict]:
	"""A varied set of templates as Meta lists them (add each with `add_template(waba, **t)`):
	positional and named, a text header and a document header, quick-reply, dynamic and static URL
	and phone buttons. `suffix` keeps names unique per test run."""
	handle = "4::ZmFrZS1leGFtcGxl"
	return [
		{
			"name": f"t_order_ready{suffix}",
			"language": "es",
			"components": [
				{
					"type": "BODY",
					"text": "Hola {{1}}, tu pedido {{2}} está listo.",
					"example": {"body_text": [["Ana", "SO-0001"]]},
				}
			],
		},
		{
			"name": f"t_invoice_named{suffix}",
			"language": "en",
			"parameter_format": "NAMED",
			"components": [
				{"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": [handle]}},
				{
					"type": "BODY",
					"text": "Invoice {{invoice}} for {{amount}} is attached.",
					"example": {
						"body_text_named_params": [
							{"param_name": "invoice", "example": "ACC-SINV-0001"},
							{"param_name": "amount", "example": "$1,200.00"},
						]
					},
				},
				{"type": "FOOTER", "text": "Test Company"},
				{
					"type": "BUTTONS",
					"buttons": [
						{"type": "QUICK_REPLY", "text": "Paid"},
						{"type": "QUICK_REPLY", "text": "Not yet"},
					],
				},
			],
		},
		{
			"name": f"t_shipped{suffix}",
			"language": "en",
			"components": [
				{
					"type": "HEADER",
					"format": "TEXT",
					"text": "Order {{1}}",
					"example": {"header_text": ["SO-7"]},
				},
				{
					"type": "BODY",
					"text": "Your order {{1}} has shipped.",
					"example": {"body_text": [["SO-7"]]},
				},
				{
					"type": "BUTTONS",
					"buttons": [
						{
							"type": "URL",
							"text": "Track",
							"url": "https://example.com/track/{{1}}",
							"example": ["https://example.com/track/SO-7"],
						},
						{"type": "URL", "text": "Help", "url": "https://example.com/help"},
						{"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550783881"},
					],
				},
			],
		},
		{
			"name": f"t_waiting{suffix}",
			"language": "es",
			"parameter_format": "NAMED",
			"components": [
				{
					"type": "BODY",
					"text": "Tienes {{count}} mensajes nuevos de {{company}}. Toca abajo para leerlos.",
					"example": {
						"body_text_named_params": [
							{"param_name": "count", "example": "3"},
							{"param_name": "company", "example": "Test Company"},
						]
					},
				},
				{"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Ver mensajes"}]},
			],
		},
		{
			"name": f"t_hello{suffix}",
			"language": "en",
			"components": [{"type": "BODY", "text": "Hello! There is news for you."}],
		},
		{
			"name": f"t_hello{suffix}",
			"language": "es",
			"components": [{"type": "BODY", "text": "¡Hola! Hay novedades para ti."}],
		},
	]
