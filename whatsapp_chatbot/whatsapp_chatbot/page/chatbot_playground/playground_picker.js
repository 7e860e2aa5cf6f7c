// Who the manager chats as: a Chatbot Contact, or a User (whose test contact the server makes).
whatsapp_chatbot.playground.Picker = class Picker {
	constructor(page, on_pick) {
		this.on_pick = on_pick;
		this.contact = page.add_field({
			fieldtype: "Link",
			fieldname: "playground_contact",
			label: __("Contact"),
			options: "Chatbot Contact",
			change: () => this.picked({ contact: this.contact.get_value() }),
		});
		this.user = page.add_field({
			fieldtype: "Link",
			fieldname: "playground_user",
			label: __("or User"),
			options: "User",
			change: () => this.picked({ user: this.user.get_value() }),
		});
	}

	picked(choice) {
		if (!choice.contact && !choice.user) return;
		// one or the other: picking a user clears the contact and vice versa
		if (choice.user) this.contact.set_value("");
		else this.user.set_value("");
		this.on_pick(choice);
	}
};
