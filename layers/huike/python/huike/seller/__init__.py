"""The seller REST API's domain: who is calling (API keys), and each resource a seller reads or
changes (settings, flows, the send log). The handler (functions/seller_api) only routes."""
