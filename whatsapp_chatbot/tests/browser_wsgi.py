"""The WSGI application the browser tests serve with gunicorn: Frappe's own, for one site, with
/assets and /files, as `bench serve --site SITE` serves them (production leaves those to nginx).

Pinning the site matters because of Frappe's Socket.IO server: it authenticates a browser by
calling back the page's Origin (`http://127.0.0.1:PORT/api/method/frappe.realtime.get_user_info`),
and that call carries no site name. The site comes from WHATSAPP_CHATBOT_TEST_SITE.
"""

import os

import frappe.app

frappe.app._site = os.environ["WHATSAPP_CHATBOT_TEST_SITE"]
application = frappe.app.application_with_statics()
