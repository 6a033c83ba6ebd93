"""Flow decisions: when to start, what to check on wake-up, what to send."""
