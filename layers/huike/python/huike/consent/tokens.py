"""One-click unsubscribe links (RFC 8058): signed per tenant and customer, verified on click."""

from __future__ import annotations

import base64
import hashlib
import hmac

from huike.config.tenant import TenantConfig
from huike.core.errors import Unauthorized


def _secret(tenant: TenantConfig) -> bytes:
    secrets = tenant.webhook_secrets
    return (secrets.get("unsubscribe") or secrets.get("events") or tenant.api_key_hash).encode()


def token_for(tenant: TenantConfig, customer_id: str) -> str:
    subject = base64.urlsafe_b64encode(customer_id.encode()).decode().rstrip("=")
    signature = hmac.new(_secret(tenant), f"{tenant.tenant_id}:{customer_id}".encode(), hashlib.sha256).hexdigest()
    return f"{subject}.{signature[:32]}"


def customer_for_token(tenant: TenantConfig, token: str) -> str:
    subject, _, signature = token.partition(".")
    try:
        customer_id = base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized("malformed unsubscribe link") from None
    if not hmac.compare_digest(token_for(tenant, customer_id).encode(), f"{subject}.{signature}".encode()):
        raise Unauthorized("unsubscribe link signature does not match")
    return customer_id


def unsubscribe_url(tenant: TenantConfig, customer_id: str, public_base_url: str | None) -> str | None:
    """The one-click link, when the deployment has a public URL."""
    if not public_base_url:
        return None
    return f"{public_base_url.rstrip('/')}/unsubscribe/{tenant.tenant_id}/{token_for(tenant, customer_id)}"


def list_unsubscribe_headers(url: str | None) -> dict[str, str]:
    """RFC 8058: List-Unsubscribe with the literal <https://...> and List-Unsubscribe-Post."""
    if not url:
        return {}
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
