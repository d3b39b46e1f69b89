"""Notifications: who is told what, in the portal and by mail (kinds, preferences, the mail
outbox). Operations in ``operations``, reads in ``queries``; rendering and sending mail in
``node.notices.mailer``; pages in ``node.web.notifications``, API in ``node.api.notifications``."""
