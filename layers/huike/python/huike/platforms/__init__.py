"""Platform adapters: each maps its webhook payload onto huike.events.Event."""
