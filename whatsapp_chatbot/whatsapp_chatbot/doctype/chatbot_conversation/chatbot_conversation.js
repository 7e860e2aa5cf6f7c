// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

// The chat as a transcript, kept live through Frappe realtime (public/js/chatbot_transcript.js),
// WhatsApp's *bold* _italic_ ~strike~ and code drawn as WhatsApp does (public/js/whatsapp_format.js).
// Take over / reply / hand back live in public/js/conversation_steer.js (hooks.doctype_js).
{% include "whatsapp_chatbot/public/js/whatsapp_format.js" %}
{% include "whatsapp_chatbot/public/js/chatbot_transcript.js" %}

frappe.ui.form.on("Chatbot Conversation", {
	refresh(frm) {
		if (frm.is_new()) return;
		whatsapp_chatbot.transcript_for(frm).load();
	},
});
