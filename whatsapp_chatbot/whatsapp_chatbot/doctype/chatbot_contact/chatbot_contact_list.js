// Chatbot Contact list: "Link Staff" creates contacts for the Users and Employees who have a mobile
// number, after showing what it will create.

frappe.listview_settings["Chatbot Contact"] = {
	onload(listview) {
		listview.page.add_inner_button(__("Link Staff"), () => new LinkStaffDialog(listview).open());
	},
};

const STAFF_STATUS = {
	create: __("Will be linked"),
	no_role: __("Not linked: no chat role"),
	linked: __("Already linked"),
	invalid: __("Invalid number"),
	duplicate: __("Duplicate number"),
	not_allowed: __("Not linked: more privileged than you"),
};

class LinkStaffDialog {
	constructor(listview) {
		this.listview = listview;
	}

	async open() {
		const { message: preview } = await frappe.call({
			method: "whatsapp_chatbot.api.setup.preview_staff_contacts",
			type: "GET",
			freeze: true,
		});
		const creatable = preview.rows.filter((row) => row.action === "create");
		const others = preview.rows.filter((row) => row.action !== "create");
		this.dialog = new frappe.ui.Dialog({
			title: __("Link Staff to WhatsApp"),
			size: "extra-large",
			fields: [
				{
					fieldtype: "HTML",
					fieldname: "intro",
					options: frappe.render_template("link_staff_intro", {
						country_code: preview.country_code,
						may_read_users: preview.may_read_users,
						to_create: creatable.length,
					}),
				},
				{
					fieldtype: "Table",
					fieldname: "create",
					label: __("Will be linked"),
					cannot_add_rows: true,
					in_place_edit: true,
					data: creatable.map((row) => ({ ...row, link: 1 })),
					fields: this.columns(true),
				},
				{
					fieldtype: "Table",
					fieldname: "others",
					label: __("Listed, not linked"),
					cannot_add_rows: true,
					cannot_delete_rows: true,
					data: others.map((row) => ({ ...row, status: STAFF_STATUS[row.action] || row.action })),
					fields: this.columns(false),
					read_only: 1,
				},
			],
			primary_action_label: __("Create Contacts"),
			primary_action: () => this.create(),
		});
		if (!creatable.length) this.dialog.get_primary_btn().prop("disabled", true);
		this.dialog.show();
		// the rows come from the server: nothing to add or upload by hand
		for (const table of ["create", "others"]) {
			this.dialog.fields_dict[table].grid.wrapper
				.find(".grid-add-row, .grid-add-multiple-rows, .grid-upload")
				.addClass("hidden");
		}
	}

	columns(checkable) {
		const column = (fieldname, label, fieldtype = "Data", options) => ({
			fieldname,
			label,
			fieldtype,
			options,
			in_list_view: 1,
			read_only: fieldname !== "link",
		});
		return [
			...(checkable ? [column("link", __("Link"), "Check")] : [column("status", __("Status"))]),
			column("user", __("User"), "Link", "User"),
			column("full_name", __("Name")),
			column("number", __("Number as typed")),
			column("wa_id", __("WhatsApp Number")),
			...(checkable ? [] : [column("reason", __("Why"))]),
		];
	}

	async create() {
		const users = (this.dialog.get_values().create || []).filter((row) => row.link).map((row) => row.user);
		if (!users.length) return;
		const created = await frappe.xcall("whatsapp_chatbot.api.setup.link_staff_contacts", { users });
		this.dialog.hide();
		frappe.show_alert({ message: __("{0} contacts created", [created.length]), indicator: "green" });
		this.listview.refresh();
	}
}
