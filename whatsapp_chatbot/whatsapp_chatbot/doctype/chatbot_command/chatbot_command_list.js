frappe.listview_settings["Chatbot Command"] = {
	add_fields: ["status", "kind", "progress"],
	// the same colours as the form and the transcript's cards (review/bubbles.py COMMAND_COLOURS)
	colours: {
		Proposed: "gray",
		"Awaiting Confirmation": "orange",
		Queued: "blue",
		Running: "blue",
		Succeeded: "green",
		Failed: "red",
		Cancelled: "gray",
		Expired: "gray",
	},
	get_indicator(doc) {
		const colour = frappe.listview_settings["Chatbot Command"].colours[doc.status] || "gray";
		return [__(doc.status), colour, `status,=,${doc.status}`];
	},
};
