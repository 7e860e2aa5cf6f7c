frappe.listview_settings["Chatbot Message"] = {
	add_fields: ["status", "direction", "error_code"],
	colours: {
		Received: "blue",
		Processing: "blue",
		Answered: "green",
		Ignored: "gray",
		Queued: "gray",
		// kept while the 24-hour window is closed; sent in order when the contact writes
		Held: "orange",
		Sending: "blue",
		Sent: "blue",
		Delivered: "green",
		Read: "green",
		Played: "green",
		Failed: "red",
	},
	get_indicator(doc) {
		const colour = frappe.listview_settings["Chatbot Message"].colours[doc.status] || "gray";
		// Meta's error code, as Meta sent it: the indicator is HTML
		const label =
			doc.status === "Failed" && doc.error_code
				? `${__("Failed")} (${frappe.utils.escape_html(doc.error_code)})`
				: __(doc.status);
		return [label, colour, `status,=,${doc.status}`];
	},
};
