"""One-click unsubscribe (RFC 8058): signed links in marketing email, and what a click does."""

from __future__ import annotations

import base64
import hashlib
import hmac

from huike.core import clock
from huike.core.errors import NotFound, Unauthorized
from huike.core.events import ConsentData
from huike.store import repository
from huike.store.models import Customer, Tenant


def _secret(tenant: Tenant) -> bytes:
    secrets = tenant.webhook_secrets or {}
    return (secrets.get("unsubscribe") or secrets.get("events") or tenant.api_key_hash).encode()


def token_for(tenant: Tenant, customer_id: str) -> str:
    subject = base64.urlsafe_b64encode(customer_id.encode()).decode().rstrip("=")
    signature = hmac.new(_secret(tenant), f"{tenant.tenant_id}:{customer_id}".encode(), hashlib.sha256).hexdigest()
    return f"{subject}.{signature[:32]}"


def customer_for_token(tenant: Tenant, token: str) -> str:
    subject, _, signature = token.partition(".")
    try:
        customer_id = base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized("malformed unsubscribe link") from None
    if not hmac.compare_digest(token_for(tenant, customer_id).encode(), f"{subject}.{signature}".encode()):
        raise Unauthorized("unsubscribe link signature does not match")
    return customer_id


def unsubscribe_headers(tenant: Tenant, customer: Customer | None) -> dict[str, str]:
    from huike.config.env import settings

    if customer is None:
        return {}
    base = settings().public_base_url.rstrip("/")
    headers = {}
    if base:
        url = f"{base}/unsubscribe/{tenant.tenant_id}/{token_for(tenant, customer.customer_id)}"
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def unsubscribe(tenant_id: str, token: str, user_agent: str | None, source_ip: str | None) -> dict[str, str]:
    """Withdraw email marketing consent: current state on the customer, history in the ledger."""
    tenant = repository.get_tenant(tenant_id)
    customer_id = customer_for_token(tenant, token)
    customer = repository.get_customer(tenant_id, customer_id)
    if customer is None:
        raise NotFound("unknown subscriber")
    proof = {k: v for k, v in {"user_agent": user_agent, "ip": source_ip}.items() if v}
    consent = ConsentData(channel="email", granted=False, at=clock.now(), wording="List-Unsubscribe", proof=proof)
    repository.set_consent(customer, consent, source="list-unsubscribe")
    repository.record_consents(tenant_id, customer_id, customer.email, [consent], source="list-unsubscribe")
    return {"status": "unsubscribed", "channel": "email"}
