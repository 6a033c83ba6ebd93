"""Typed configuration: each function's environment, tenant settings and flow settings."""
