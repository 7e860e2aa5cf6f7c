// Chatbot Playground: chat with the bot as a contact or a User, through the same pipeline as
// WhatsApp (channel/standin.py); answers arrive over realtime; nothing is sent to Meta.
// One small class per job, as ERPNext's point_of_sale page does.

frappe.provide("whatsapp_chatbot.playground");

{% include "whatsapp_chatbot/public/js/whatsapp_format.js" %}
{% include "whatsapp_chatbot/whatsapp_chatbot/page/chatbot_playground/playground_picker.js" %}
{% include "whatsapp_chatbot/whatsapp_chatbot/page/chatbot_playground/playground_chat.js" %}
{% include "whatsapp_chatbot/whatsapp_chatbot/page/chatbot_playground/playground_composer.js" %}
{% include "whatsapp_chatbot/whatsapp_chatbot/page/chatbot_playground/playground_controller.js" %}

frappe.pages["chatbot-playground"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Chatbot Playground"),
		single_column: true,
	});
	wrapper.playground = new whatsapp_chatbot.playground.Controller(page);
};
