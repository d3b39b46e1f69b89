"""The network directory: our exported entries, peers' copies, search, introductions."""
