"""What a one-click unsubscribe does: withdraw email marketing consent, with proof."""

from __future__ import annotations

from huike.consent.tokens import customer_for_token
from huike.core import clock
from huike.core.enums import Channel
from huike.core.errors import NotFound
from huike.core.events import ConsentData
from huike.store import consent as consent_store
from huike.store import customers as customer_store
from huike.store import tenants


def unsubscribe(tenant_id: str, token: str, user_agent: str | None, source_ip: str | None) -> dict[str, str]:
    """Current state on the customer, history in the ledger."""
    tenant = tenants.cached_tenant(tenant_id)
    customer_id = customer_for_token(tenant, token)
    customer = customer_store.get_customer(tenant_id, customer_id)
    if customer is None:
        raise NotFound("unknown subscriber")
    proof = {k: v for k, v in {"user_agent": user_agent, "ip": source_ip}.items() if v}
    consent = ConsentData(channel=Channel.EMAIL, granted=False, at=clock.now(), wording="List-Unsubscribe", proof=proof)
    customer_store.set_consent(customer, consent, source="list-unsubscribe")
    consent_store.record_consents(tenant_id, customer_id, customer.email, [consent], source="list-unsubscribe")
    return {"status": "unsubscribed", "channel": Channel.EMAIL}
