app_name = "whatsapp_chatbot"
app_title = "WhatsApp Chatbot"
app_publisher = "whatsapp_chatbot developers"
app_description = "Run ERPNext by chatting on WhatsApp"
app_email = "dev@whatsapp-chatbot.local"
app_license = "mit"
required_apps = ["frappe", "erpnext"]

# Installation
# ------------
before_install = "whatsapp_chatbot.install.before_install"
after_install = "whatsapp_chatbot.install.after_install"
after_migrate = "whatsapp_chatbot.install.after_migrate"
before_uninstall = "whatsapp_chatbot.install.before_uninstall"

# Desk
# ----
# what senders, the model, Meta and remote sites wrote is shown as text in every Desk view
app_include_js = "untrusted_text.bundle.js"
boot_session = "whatsapp_chatbot.review.untrusted_fields.boot_session"
# steering a conversation (take over, reply, hand back) sits beside the form's own transcript script
doctype_js = {
	"Chatbot Conversation": "public/js/conversation_steer.js",
	# the WhatsApp channel's fields on Frappe's Notification form (notifications/)
	"Notification": "public/js/notification_whatsapp.js",
	# Save as Case (evaluation/save_case.py) beside the command form's own script
	"Chatbot Command": "public/js/save_as_case.js",
}

# WhatsApp as a channel of Frappe's Notification: Frappe's class, its WhatsApp branch added; every
# other channel is Frappe's own code (notifications/notification.py). No doc_events["*"]: Frappe's
# Notification machinery already runs per DocType, from its cache.
override_doctype_class = {"Notification": "whatsapp_chatbot.notifications.notification.WhatsAppNotification"}

# Workflow approvals on WhatsApp (approvals/trigger.py): Frappe inserts a Workflow Action when a
# document enters a state with next transitions; no other save runs anything of ours.
doc_events = {
	"Workflow Action": {"after_insert": "whatsapp_chatbot.approvals.trigger.on_workflow_action"},
	# a worker keeps a language's merged translations between jobs (kept_translations.py): a
	# Translation record changed drops them once committed
	"Translation": {
		event: "whatsapp_chatbot.kept_translations.forget"
		for event in ("on_update", "on_trash", "after_rename")
	},
}
# what was sent about a document (an approval's buttons, a notification) never stops that document
# from being deleted: the messages stay as the chat's record, their link pointing at nothing
ignore_links_on_delete = ["Chatbot Approval", "Chatbot Message"]

# Background jobs
# ---------------
# each turn's queue wait and duration, for the busy notice and the Desk (channel/backlog.py)
# this app's DocType metas kept by a worker between our jobs (kept_metas.py)
before_job = ["whatsapp_chatbot.channel.backlog.before_job", "whatsapp_chatbot.kept_metas.before_job"]
# side connections of threads that ended, in a worker that keeps its process (realtime/side_db.py)
after_job = [
	"whatsapp_chatbot.channel.backlog.after_job",
	"whatsapp_chatbot.realtime.side_db.after_job",
	"whatsapp_chatbot.kept_metas.after_job",
]

# Tests
# -----
before_tests = "whatsapp_chatbot.install.before_tests"

# Scheduled Tasks
# ---------------
scheduler_events = {
	"cron": {
		# subscriptions due: claimed once even when two schedulers tick (subscriptions/due.py)
		"* * * * *": ["whatsapp_chatbot.jobs.sweep.sweep", "whatsapp_chatbot.jobs.subscriptions.tick"],
	},
	"daily": ["whatsapp_chatbot.message_templates.sync.daily"],
}
