"""Accounts: members' sign-up, sign-in, passwords, API tokens, OpenID Connect, and the space
this node serves."""
