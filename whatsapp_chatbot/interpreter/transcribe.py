"""Voice notes: the audio is downloaded from Meta (media id → URL → bytes with the token, under the
same host rule and size cap as photos and documents) and transcribed by OpenAI; the transcript then
goes through the pipeline like typed text."""

from __future__ import annotations

import mimetypes

from whatsapp_chatbot.channel.errors import GraphError
from whatsapp_chatbot.channel.graph import MediaTooLarge, MediaURLRefused
from whatsapp_chatbot.channel.settings import graph_client
from whatsapp_chatbot.interpreter import client as openai_client
from whatsapp_chatbot.interpreter.loop import TurnFailed, within_budget
from whatsapp_chatbot.media.intake import max_bytes

MAX_AUDIO_BYTES = 25 * 1024 * 1024  # OpenAI's upload limit for transcriptions


def transcribe(message, settings) -> str:
	# the media cap of the Settings, and never more than OpenAI takes: what is over it is not read
	limit = min(max_bytes(settings), MAX_AUDIO_BYTES)
	try:
		media = graph_client(settings).download_media(message.media_id, max_bytes=limit)
	except MediaTooLarge as error:
		raise TurnFailed(
			"voice_too_long", f"voice note of at least {error.size} bytes over the {limit}-byte cap"
		)
	except MediaURLRefused as error:
		raise TurnFailed("media_not_downloaded", f"voice note download: {error}")
	except GraphError as error:
		raise TurnFailed("assistant_unavailable", f"voice note download: {error.describe()}")
	mime = (media.mime_type or message.media_mime_type or "audio/ogg").split(";")[0].strip()
	# OpenAI infers the format from the file name: WhatsApp voice notes are Ogg/Opus
	extension = {"audio/ogg": "ogg", "audio/opus": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a"}.get(
		mime
	) or ((mimetypes.guess_extension(mime) or ".ogg").lstrip("."))
	try:
		client = within_budget(openai_client.make_client(settings), settings, "transcription")
		result = client.audio.transcriptions.create(
			model=settings.transcription_model or "gpt-4o-mini-transcribe",
			file=(f"voice.{extension}", media.content, mime),
		)
	except openai_client.UNAVAILABLE as error:
		raise TurnFailed(
			"assistant_unavailable", f"OpenAI transcription: {type(error).__name__}: {error}"[:500]
		)
	return (result.text or "").strip()
