"""The platforms' signing schemes, written from their documentation rather than taken from
huike.ingest.signatures, so tests check the product against the scheme and not against itself."""

from __future__ import annotations

import base64
import hashlib
import hmac


def base64_hmac(secret: str, body: bytes) -> str:
    """Shopify's X-Shopify-Hmac-Sha256 and WooCommerce's X-WC-Webhook-Signature: base64 of the
    HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def canonical_header(secret: str, body: bytes, timestamp: int) -> str:
    """Huike-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
