frappe.listview_settings["Chatbot Evaluation Run"] = {
	add_fields: ["status", "pass_rate"],
	colours: { Draft: "gray", Queued: "blue", Running: "blue", Completed: "green", Failed: "red" },
	get_indicator(doc) {
		const colour = frappe.listview_settings["Chatbot Evaluation Run"].colours[doc.status] || "gray";
		return [__(doc.status), colour, `status,=,${doc.status}`];
	},
};
