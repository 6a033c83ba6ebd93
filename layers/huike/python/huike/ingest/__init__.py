"""Webhook ingestion: signatures, platform mappers onto the canonical event, apply once."""
