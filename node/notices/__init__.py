"""Who is told what: the mails (and their wording, in the recipient's language) that follow a
change, sent after its transaction committed. Views, jobs and the CLI call these; services
decide and record, and never import Flask or Flask-Babel, so the rendering lives here.

- ``requests``: what a view sends after its commit (seat offers, cancellations, new times);
- ``event_mail``: the events and regional sessions mails;
- ``account_mail``: invitation, password reset, sign-up waiting for approval;
- ``digest``: the weekly digest and its links;
- ``introductions``: the expert told of an introduction request.
"""
