"""The connector: needs, referrals and deals, ledgers, barter, engagement, the digest, sibling
nodes, and their exchanges with peers."""
