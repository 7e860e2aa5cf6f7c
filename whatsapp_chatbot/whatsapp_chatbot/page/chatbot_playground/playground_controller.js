// Ties the picker, the chat and the composer to the server and to realtime.
whatsapp_chatbot.playground.Controller = class Controller {
	constructor(page) {
		this.page = page;
		this.method = "whatsapp_chatbot.api.playground";
		this.picker = new whatsapp_chatbot.playground.Picker(page, (choice) => this.start(choice));
		this.chat = new whatsapp_chatbot.playground.Chat(page.main, (id, title) =>
			this.send({ choice_id: id, text: title })
		);
		this.composer = new whatsapp_chatbot.playground.Composer(this.chat.$footer, (text) =>
			this.send({ text })
		);
		frappe.realtime.on("whatsapp_chatbot_standin", (message) => {
			if (message.contact === this.contact) this.chat.add(message);
		});
	}

	async start(choice) {
		const started = await frappe.xcall(`${this.method}.start`, choice);
		if (this.contact) frappe.realtime.doc_unsubscribe("Chatbot Contact", this.contact);
		this.contact = started.contact;
		frappe.realtime.doc_subscribe("Chatbot Contact", this.contact);
		// the title is the contact's profile name (the sender's words): shown as written, not as HTML
		const title = __("Chatbot Playground: {0}", [started.title]);
		this.page.set_title(
			__("Chatbot Playground: {0}", [frappe.utils.escape_html(started.title)]),
			null,
			false,
			title,
			title
		);
		this.chat.reset(started.title, started.refusal, started.history);
		this.composer.set_enabled(true);
	}

	async send(args) {
		if (!this.contact) return;
		const sent = await frappe.xcall(`${this.method}.send`, { contact: this.contact, ...args });
		this.chat.add({ message: sent.message, incoming: 1, text: sent.text });
	}
};
