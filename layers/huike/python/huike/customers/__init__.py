"""Customers: identity (phone/email normalisation, merge rule) and profile writes."""
