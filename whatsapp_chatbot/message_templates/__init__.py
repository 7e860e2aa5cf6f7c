"""Meta's message templates as data: sync, webhooks, the app's own templates, who uses them."""
