"""Tests that need no Frappe site: pure modules and the fake servers.

Run alone with `python -m pytest whatsapp_chatbot/tests/pure`; the Frappe test runner runs them too.
"""
