"""Whitelisted endpoints. `whatsapp_chatbot.api.webhook` is the URL Meta is given, so it is
re-exported here: /api/method/whatsapp_chatbot.api.webhook."""

from whatsapp_chatbot.api.meta_webhook import webhook

__all__ = ["webhook"]
