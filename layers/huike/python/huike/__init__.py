"""Huike domain: customers, consent, orders, flows and the one send path."""
