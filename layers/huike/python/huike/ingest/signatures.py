"""Webhook signature checks, all constant-time, all over the raw request body."""

from __future__ import annotations

import base64
import hashlib
import hmac

CANONICAL_TOLERANCE_SECONDS = 300


def base64_hmac_sha256(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_base64_hmac(secret: str, body: bytes, header_value: str | None) -> bool:
    """Shopify's X-Shopify-Hmac-Sha256 and WooCommerce's X-WC-Webhook-Signature."""
    if not secret or not header_value:
        return False
    return hmac.compare_digest(base64_hmac_sha256(secret, body).encode(), header_value.strip().encode())


def canonical_signature(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_canonical(secret: str, body: bytes, header_value: str | None, now_unix: float) -> bool:
    """Huike-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">, within 300 s of now."""
    if not secret or not header_value:
        return False
    parts: dict[str, list[str]] = {}
    for item in header_value.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now_unix - timestamp) > CANONICAL_TOLERANCE_SECONDS:
        return False
    expected = canonical_signature(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in parts.get("v1", []))
