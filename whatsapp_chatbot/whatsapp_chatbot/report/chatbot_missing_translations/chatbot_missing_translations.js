// Copyright (c) 2026, whatsapp_chatbot developers
// For license information, please see license.txt

frappe.query_reports["Chatbot Missing Translations"] = {
	filters: [
		{
			fieldname: "language",
			label: __("Language"),
			fieldtype: "Link",
			options: "Language",
		},
	],
};
