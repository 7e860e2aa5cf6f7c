frappe.listview_settings["Chatbot Subscription"] = {
	add_fields: ["enabled", "failures"],
	get_indicator(doc) {
		if (!doc.enabled) {
			return [__("Paused"), "orange", "enabled,=,0"];
		}
		if (doc.failures) {
			return [__("Failing"), "red", "failures,>,0"];
		}
		return [__("Active"), "green", "enabled,=,1"];
	},
};
