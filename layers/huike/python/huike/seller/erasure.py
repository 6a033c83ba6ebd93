"""Erasure of one customer (GDPR Art. 17, PIPL Art. 47).

Everything Huike holds about the person goes: the profile, their orders, their consent history
(as the customer and as a bare address), and the recipient and body of every message the ledger
kept (found through the ledger's customer index; the decision itself stays, without them). Their
addresses stay only as keyed pseudonyms on the suppression list, so a later event that re-creates
them is not messaged until they consent again. Pending executions carry ids only (contact-derived
ids are pseudonyms too): when they wake they find nothing and exit. The erasure is recorded in the
change log with counts, never with what was erased.
"""

from __future__ import annotations

from typing import Any

from huike.core import clock, keys
from huike.core.errors import NotFound


def erase_customer(tenant_id: str, customer_id: str, actor: str) -> dict[str, Any]:
    from huike.store import consent as consent_store
    from huike.store import customers as customer_store
    from huike.store import identities as identity_store
    from huike.store import orders as order_store
    from huike.store import sends as send_store
    from huike.store.audit import new_change
    from huike.store.tenants import get_tenant

    customer = customer_store.get_customer(tenant_id, customer_id)
    if customer is None:
        raise NotFound("no such customer")
    tenant = get_tenant(tenant_id)
    now = clock.now()
    orders = order_store.orders_of(tenant_id, customer_id)
    sends = send_store.sends_of(tenant_id, customer_id)
    addresses = {
        address.lower()
        for address in (
            customer.phone,
            customer.email,
            *(identity.split(":", 1)[1] for identity in customer.identities or () if not identity.startswith("id:")),
            *(order.contact_phone for order in orders),
            *(order.contact_email for order in orders),
            *(record.recipient for record in sends),
        )
        if address
    }
    erased = {
        "suppressions_kept_as_pseudonyms": consent_store.erase_addresses(
            tenant_id, addresses, tenant.pseudonym_key, now
        ),
        "consent_statements": consent_store.delete_history(
            tenant_id, [customer_id, *(keys.consent_subject(None, address) for address in addresses)]
        ),
        "messages_redacted": send_store.redact(sends),
        "identity_claims": identity_store.release(
            [
                claim(tenant_id, address, tenant.pseudonym_key)
                for address in addresses
                for claim in (identity_store.phone_claim, identity_store.email_claim)
            ],
            customer_id,
        ),
        "orders": order_store.delete_orders(orders),
        "profile": customer_store.delete_customer(tenant_id, customer_id),
    }
    new_change(tenant_id, actor, "customer.erase", None, None, {"erased_at": clock.to_iso(now), **erased}, now).save()
    return {"customer_id": customer_id, "erased_at": clock.to_iso(now), "erased": erased}
