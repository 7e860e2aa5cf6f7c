"""Errors a command reports to the user (through the model, or directly for shortcuts)."""


class CommandError(Exception):
	"""Bad input or a refusal, said plainly: the message is safe to show the user."""
