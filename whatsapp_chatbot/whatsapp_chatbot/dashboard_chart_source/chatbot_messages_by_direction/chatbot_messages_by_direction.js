frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Chatbot Messages by Direction"] = {
	method: "whatsapp_chatbot.whatsapp_chatbot.dashboard_chart_source.chatbot_messages_by_direction.chatbot_messages_by_direction.get",
	filters: [],
};
