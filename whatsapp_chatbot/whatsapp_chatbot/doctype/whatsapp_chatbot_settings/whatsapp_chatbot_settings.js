// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

frappe.ui.form.on("WhatsApp Chatbot Settings", {
	refresh(frm) {
		if (frm.doc.access_token_invalid_since) {
			frm.dashboard.set_headline(
				__("Meta rejected the access token on {0}. Save a new token to resume sending.", [
					frappe.datetime.str_to_user(frm.doc.access_token_invalid_since),
				]),
				"red"
			);
		}
	},
});
