"""The node's federation transport: keys and identity, peers, the signed feed, the inbox, sync,
leases, rate limits, the scheduler and its jobs, the handler registry and the runtime.

The protocol itself (canonical JSON, signatures, envelopes) is the top-level ``federation``
library, which never imports ``node``."""
