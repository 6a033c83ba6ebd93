"""Consent: inbound STOP/START and SES notifications, one-click unsubscribe and its tokens."""
