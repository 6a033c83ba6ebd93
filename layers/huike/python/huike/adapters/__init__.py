"""Adapters to AWS services. The domain calls these; they never import the domain's flows."""
