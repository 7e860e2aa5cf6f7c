"""Workflow approvals on WhatsApp: the approvers of a document's next step get its summary and one
button per action they may take, and a press applies that action through Frappe as them.

- trigger.py   Frappe inserts a Workflow Action row when a document enters a state with next
               transitions; its after_insert enqueues the notification job (nothing else runs on
               the save of a document, and nothing at all for DocTypes without a Workflow).
- approvers.py who may act, decided with Frappe's own Workflow Action rules, and their contacts.
- summary.py   the document read generically: party, total, a few lines (any DocType).
- message.py   pure: the text, the buttons or list, the template's parameters, the button ids.
- offers.py    one Chatbot Approval per approver and step, and the messages queued for it.
- press.py     a button pressed: bound to its contact, single use, checked again as the approver
               at that moment, applied with apply_workflow; the others of the step are told.
- pending.py   what waits for a user (Frappe's Workflow Action list, as that user).
"""
