"""The network pass: visiting agreements between spaces, signed passes checked offline at a
host's front desk, revocations on the feed and visits counted on both sides."""
