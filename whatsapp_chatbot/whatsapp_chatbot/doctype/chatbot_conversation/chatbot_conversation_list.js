// Conversations at a glance: who, with which user, the last message and the state.
frappe.listview_settings["Chatbot Conversation"] = {
	add_fields: ["status", "contact", "user", "last_message_at", "message_count"],
	get_indicator(doc) {
		const colours = { Open: "green", Waiting: "red", Human: "orange", Closed: "gray" };
		return [__(doc.status), colours[doc.status] || "gray", `status,=,${doc.status}`];
	},
	formatters: {
		last_message_at(value) {
			return value ? frappe.datetime.comment_when(value, true) : "";
		},
	},
};
