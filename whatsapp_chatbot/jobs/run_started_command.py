"""RQ entry point (queue `long`): run a command another site started here (executors/started.py)."""

from whatsapp_chatbot.executors import started


def run_started_command(command: str) -> None:
	started.run(command)
