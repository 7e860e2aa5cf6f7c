// The WhatsApp channel on Frappe's Notification form (hooks.doctype_js; server side in
// whatsapp_chatbot/notifications/). Runs after Frappe's own notification.js:
// - recipients "by document field" offer User and Email fields for WhatsApp too (Frappe offers
//   Phone fields for a WhatsApp channel, but our recipients are Users with Chatbot Contacts);
// - picking a template fills in one parameter row per parameter it needs and shows what it needs;
// - the subject (the {{title}} of the app's notification template) and the print format (the PDF
//   header) show for WhatsApp;
// - a red note when another app's Notification class replaced ours (WhatsApp would never send).

(() => {
	const CHANNEL = "WhatsApp";
	const TEMPLATE = "whatsapp_template";
	const ATTACH = "whatsapp_attach_document";
	const PARAMETERS = "whatsapp_parameters";
	const is_whatsapp = (frm) => frm.doc.channel === CHANNEL;

	const EXAMPLE = `<h5>${__("Message Example")}</h5>
<pre>*${__("New Sales Order")}* {{ doc.name }}

${__("Customer")}: {{ doc.customer_name }}
${__("Total")}: {{ doc.get_formatted("grand_total") }}
${__("Delivery")}: {{ frappe.utils.format_date(doc.delivery_date) }}</pre>
<p>${__(
		"Sent as text to contacts who wrote in the last 24 hours (HTML becomes WhatsApp's *bold*, _italic_ and lines). Outside that window the template below goes instead, its parameters filled by the rows under it."
	)}</p>`;

	function setup_fields(frm) {
		// Frappe's depends_on for these name the email channels only
		frm.set_df_property(
			"subject",
			"depends_on",
			`eval:in_list(['Email', 'Slack', 'System Notification', '${CHANNEL}'], doc.channel)`
		);
		frm.set_df_property(
			"print_format",
			"depends_on",
			`eval:doc.attach_print || (doc.channel == '${CHANNEL}' && doc.${ATTACH})`
		);
		if (is_whatsapp(frm)) {
			frm.set_df_property("message_examples", "options", EXAMPLE);
		}
	}

	function show_print_format(frm) {
		// Frappe keeps the print format in the collapsed "Attachment Settings": open it when the PDF
		// goes with the WhatsApp template, so the manager sees which print format is used
		const section = frm.get_field("print_format") && frm.get_field("print_format").section;
		if (is_whatsapp(frm) && frm.doc[ATTACH] && section && section.is_collapsed()) {
			section.collapse(false);
		}
	}

	function is_user_field(df) {
		return df.options === "Email" || (df.fieldtype === "Link" && df.options === "User");
	}

	function option(df, parent_field) {
		return {
			value: parent_field ? `${df.fieldname},${parent_field}` : df.fieldname,
			label: `${df.fieldname} (${__(df.label, null, df.parent)})`,
		};
	}

	function set_receivers(frm) {
		const doctype = frm.doc.document_type;
		if (!is_whatsapp(frm) || !doctype || !frappe.get_doc("DocType", doctype)) return;
		const options = [];
		for (const df of frappe.get_doc("DocType", doctype).fields) {
			if (frappe.model.table_fields.includes(df.fieldtype)) {
				const child = frappe.get_doc("DocType", df.options);
				for (const child_df of (child && child.fields) || []) {
					if (is_user_field(child_df)) options.push(option(child_df, df.fieldname));
				}
			} else if (is_user_field(df)) {
				options.push(option(df));
			}
		}
		frm.fields_dict.recipients.grid.update_docfield_property(
			"receiver_by_document_field",
			"options",
			["", "owner"].concat(options)
		);
	}

	function receivers_after_frappe(frm) {
		// Frappe fills the options once the DocType is loaded; ours replace them after that
		if (!is_whatsapp(frm) || !frm.doc.document_type) return;
		frappe.model.with_doctype(frm.doc.document_type, () =>
			frappe.after_ajax(() => set_receivers(frm))
		);
	}

	function warn_if_overridden(frm) {
		if (frm.is_new() || !is_whatsapp(frm)) return;
		if (!(frm.doc.__onload && frm.doc.__onload.whatsapp_chatbot)) {
			frm.set_intro(
				__(
					"Another app replaced the Notification class that sends WhatsApp: this notification will not be sent. Only the last installed app's class is used (see the WhatsApp Chatbot README, Notifications on WhatsApp)."
				),
				"red"
			);
		}
	}

	function show_template(frm, fill) {
		const template = frm.doc[TEMPLATE];
		if (!is_whatsapp(frm) || !template) {
			frm.set_df_property(TEMPLATE, "description", "");
			return;
		}
		frappe
			.call({
				method: "whatsapp_chatbot.api.notifications.template_parameters",
				type: "GET",
				args: { template },
			})
			.then((r) => {
				const info = r.message || {};
				const lines = (info.summary || "").split("\n").map((line) => frappe.utils.escape_html(line));
				if (info.refused) {
					lines.unshift(
						`<span class="text-danger">${frappe.utils.escape_html(info.refused)}</span>`
					);
				}
				frm.set_df_property(TEMPLATE, "description", lines.join("<br>"));
				if (fill) add_missing_rows(frm, info);
			});
	}

	function add_missing_rows(frm, info) {
		const have = new Set(
			(frm.doc[PARAMETERS] || []).map((row) => `${row.component}|${row.parameter}`)
		);
		for (const slot of info.rows || []) {
			// title, document and details fill themselves unless a row says otherwise
			if (slot.standard || have.has(`${slot.component}|${slot.parameter}`)) continue;
			const row = frm.add_child(PARAMETERS, {
				component: slot.component,
				parameter: slot.parameter,
			});
			row.value = "";
		}
		if (info.document_header && !frm.doc[ATTACH]) frm.set_value(ATTACH, 1);
		frm.refresh_field(PARAMETERS);
	}

	frappe.ui.form.on("Notification", {
		refresh(frm) {
			setup_fields(frm);
			receivers_after_frappe(frm);
			warn_if_overridden(frm);
			show_template(frm, false);
			show_print_format(frm);
		},
		channel(frm) {
			setup_fields(frm);
			receivers_after_frappe(frm);
			show_template(frm, false);
		},
		document_type(frm) {
			receivers_after_frappe(frm);
		},
		[TEMPLATE](frm) {
			show_template(frm, true);
		},
		[ATTACH](frm) {
			show_print_format(frm);
		},
	});
})();
