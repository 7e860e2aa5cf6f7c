"""Which template parameters a WhatsApp Notification fills, and with what. Pure module: no frappe.

Each parameter of the Notification's template is mapped to a Jinja expression by a row (component
Body / Header / Button; the parameter's name, its position 1, 2… or the button's index; the
expression). Named parameters called `title`, `document` or `details` that no row maps take the
notification's own values (its subject or name; the document's type and name; the message as one
line), so the app's standard templates (chatbot_notification: {{title}} {{details}};
chatbot_document: {{document}} {{details}} under the PDF) need no row at all.

`mapping_problems` says, in words a manager can act on, which rows do not fit the template and
which parameters nothing fills; `fit` turns rendered values into the parameters
channel/template_message checks and sends.
"""

from __future__ import annotations

from whatsapp_chatbot.channel import template_message

COMPONENTS = ("Body", "Header", "Button")
STANDARD = ("title", "document", "details")


def key(component: str | None, parameter) -> tuple[str, str]:
	"""("Body", "customer") from a row; "{{ 1 }}" and "1" are the same parameter."""
	return (str(component or "").strip().title(), str(parameter or "").strip().strip("{} ").strip())


def slots(definition: template_message.Definition) -> list[dict]:
	"""The rows a template needs, in the form's order, with Meta's example value as a hint."""
	rows = []
	for component, variables, examples in (
		(
			"Header",
			definition.header_params if definition.header_format == "text" else (),
			definition.header_examples,
		),
		("Body", definition.body_params, definition.body_examples),
	):
		for variable in variables:
			rows.append(
				{
					"component": component,
					"parameter": variable,
					"example": examples.get(variable, ""),
					"standard": definition.named and variable in STANDARD,
				}
			)
	for button in definition.buttons:
		if button.takes_parameter:
			rows.append(
				{
					"component": "Button",
					"parameter": str(button.index),
					"example": button.example or "",
					"standard": False,
				}
			)
	return rows


def mapping_problems(
	definition: template_message.Definition, keys, template: str = "the template"
) -> list[str]:
	"""Rows that name no parameter of the template, and parameters no row (or standard value)
	fills. `keys` are the (component, parameter) of the rows that have an expression."""
	keys = {key(*k) for k in keys}
	problems = []
	parts = {
		"Header": definition.header_params if definition.header_format == "text" else (),
		"Body": definition.body_params,
	}
	buttons = {str(b.index): b for b in definition.buttons}
	for component, parameter in sorted(keys):
		if component not in COMPONENTS:
			problems.append(f"“{component}” is not a part of a template (use Body, Header or Button)")
		elif component == "Button":
			button = buttons.get(parameter)
			if button is None:
				problems.append(
					f"{template} has no button {parameter} (its buttons are numbered from 0: "
					f"{', '.join(buttons) or 'none'})"
				)
			elif not button.takes_parameter:
				problems.append(f"button {parameter} “{button.text}” of {template} takes no parameter")
		elif parameter not in parts[component]:
			have = parts[component]
			listed = ", ".join("{{" + v + "}}" for v in have) if have else "none"
			problems.append(
				f"{template} has no {component.lower()} parameter {{{{{parameter}}}}} (its parameters: {listed})"
			)
	for component, variables in parts.items():
		for variable in variables:
			if (component, variable) in keys or (definition.named and variable in STANDARD):
				continue
			problems.append(
				f"nothing fills the {component.lower()} parameter {{{{{variable}}}}} of {template}: "
				"add a row with a Jinja expression for it"
			)
	for index, button in buttons.items():
		if button.needs_parameter and ("Button", index) not in keys:
			what = "URL suffix" if button.dynamic else "code to copy"
			problems.append(
				f"button {index} “{button.text}” of {template} needs its {what}: add a row for it"
			)
	return problems


def fit(
	definition: template_message.Definition,
	values: dict,
	standard: dict[str, str],
	*,
	header_media: bool = False,
	template: str = "the template",
) -> tuple[dict, list[str]]:
	"""(parameters, problems): the parameters to send with rendered `values` ({(component,
	parameter): text}), and every reason the template would be refused with them ([] when fine)."""
	values = {key(*k): v for k, v in values.items()}
	problems = mapping_problems(definition, values.keys(), template)
	if problems:
		return {}, problems
	params: dict = {}
	for component, variables in (
		("header", definition.header_params if definition.header_format == "text" else ()),
		("body", definition.body_params),
	):
		if not variables:
			continue
		given = {variable: values.get((component.title(), variable)) for variable in variables}
		for variable in variables:
			if given[variable] is None and definition.named:
				given[variable] = standard.get(variable)
		params[component] = given if definition.named else [given[v] for v in variables]
	buttons = {int(p): v for (c, p), v in values.items() if c == "Button"}
	if buttons:
		params["buttons"] = buttons
	problems = template_message.check(definition, params, header_media=header_media)
	return params, [f"{template}: {problem}" for problem in problems]
