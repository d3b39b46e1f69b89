"""Joint regional events: one program, sessions hosted by several nodes, remote registrations."""
