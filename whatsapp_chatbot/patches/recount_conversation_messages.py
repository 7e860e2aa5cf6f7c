"""Conversations stored before the Messages counter followed every stored message hold a count of
turns instead (an incoming message per attempt, the replies of a turn, but no refusal, apology, long
command result or later reply): count the messages they hold again, both directions."""

import frappe


def execute():
	frappe.db.sql(
		"""
		UPDATE `tabChatbot Conversation` conversation
		LEFT JOIN (
			SELECT `conversation` AS name, COUNT(*) AS messages
			FROM `tabChatbot Message`
			WHERE `conversation` IS NOT NULL
			GROUP BY `conversation`
		) stored ON stored.name = conversation.name
		SET conversation.message_count = IFNULL(stored.messages, 0)
		"""
	)
