"""The one send path: a pure policy (policy.py), templates, and the service that gathers facts,
claims the ledger, dispatches and records (service.py)."""
