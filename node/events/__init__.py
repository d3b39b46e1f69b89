"""Events: the space's events, occurrences, registrations and waitlists, check-ins, workshop
proposals, calendar feeds."""
