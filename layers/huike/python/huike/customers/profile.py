"""Customer profiles from events: normalise contacts, find who the event is about, write once.

Merge rule: the platform's customer id when the event has one; otherwise the customer that
claimed that phone, then that email (store.identities: one BatchGetItem for both); otherwise a new
id derived from the phone or email (keys.contact_customer_id). A contact is claimed by the first
customer written with it, in that customer's write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from huike.config.tenant import TenantConfig
from huike.core import keys
from huike.core.events import CustomerData, OrderData
from huike.customers.identity import Email, Phone, first_textable, normalise_email, normalise_phone
from huike.store import customers as store
from huike.store import identities as claims
from huike.store.customers import Customer, ProfileChange, ProfileWrite
from huike.store.deliveries import write_delivery
from huike.store.orders import Contact


def contact_claims(tenant: TenantConfig, phone: str | None, email: str | None) -> list[str]:
    """The identity claim keys of an event's contacts, phone first."""
    secret = tenant.pseudonym_key
    return [
        *([claims.phone_claim(tenant.tenant_id, phone, secret)] if phone else []),
        *([claims.email_claim(tenant.tenant_id, email, secret)] if email else []),
    ]


def resolve_customer_id(
    tenant: TenantConfig, data: CustomerData, phone: str | None, email: str | None, claimed: dict[str, str]
) -> str | None:
    """The merge rule, given the claims already read (`claimed`: claim key -> customer id)."""
    if data.platform_id:
        return data.platform_id
    for claim_key in contact_claims(tenant, phone, email):
        if claim_key in claimed:
            return claimed[claim_key]
    return keys.contact_customer_id(phone, email, tenant.pseudonym_key)


def upsert_customer(
    tenant: TenantConfig,
    data: CustomerData,
    source: str = "events",
    reservation: tuple[str, datetime] | None = None,
) -> Customer | None:
    """Write what the event says about its customer; None when it identifies nobody.
    `reservation` (key, due) notes a scheduled marketing send in the same write."""
    planned = customer_change(tenant, data, source, reservation)
    if planned is None:
        return None
    return write_delivery(planned, read_customer=True).customer


def customer_change(
    tenant: TenantConfig,
    data: CustomerData,
    source: str = "events",
    reservation: tuple[str, datetime] | None = None,
    claimed: dict[str, str] | None = None,
    prefetched: Mapping[str, Customer | None] | None = None,
    contacts: tuple[Phone | None, Email | None] | None = None,
) -> ProfileChange | None:
    """What the event writes to its customer (not sent; see upsert_customer); None when it
    identifies nobody. `claimed` holds the contacts' claims when the caller read them already
    (an import reads a whole chunk's in one batch); otherwise they are read here (one BatchGetItem).
    `prefetched` likewise holds customers already read (see store.customers.profile_change), and
    `contacts` the event's phone and email when they were normalised already (an import's planner).
    The contacts no customer holds yet are claimed for this one in the same write."""
    if contacts is None:
        contacts = normalise_phone(data.phone, data.country or tenant.settings.country), normalise_email(data.email)
    phone, email = contacts
    phone_e164, email_valid = phone.e164 if phone else None, email.normalized if email else None
    claim_keys = contact_claims(tenant, phone_e164, email_valid)
    if claimed is None:
        claimed = claims.claimed(claim_keys)
    customer_id = resolve_customer_id(tenant, data, phone_e164, email_valid, claimed)
    if customer_id is None:
        return None
    identities = {keys.platform_identity(customer_id)}
    if phone:
        identities.add(keys.phone_identity(phone.value))
    if email:
        identities.add(keys.email_identity(email.value))
    profile = ProfileWrite(
        first_name=data.first_name,
        last_name=data.last_name,
        locale=data.locale,
        timezone=data.timezone,
        country=data.country,
        birthday=data.birthday.isoformat() if data.birthday else None,
        phone=phone.value if phone else None,
        phone_textable=phone.textable if phone else None,
        phone_timezone=phone.timezone if phone else None,
        email=email.value if email else None,
        email_valid=email.valid if email else None,
        identities=frozenset(identities),
    )
    planned = store.profile_change(
        tenant.tenant_id, customer_id, profile, data.consents, source, reservation, prefetched
    )
    planned.claims = [claims.claim(key, customer_id) for key in claim_keys if key not in claimed]
    return planned


def order_contact(tenant: TenantConfig, order: OrderData, buyer: CustomerData | None) -> Contact | None:
    """Where this order's messages go: the first textable of the order's own phones (customer,
    billing, shipping) and its email; without its own, those of `buyer` (the event's customer, when
    the event identifies the order's buyer). None when the event says nothing about either."""
    phones = order.contact_phones or ([buyer.phone] if buyer is not None and buyer.phone else [])
    region = (buyer.country if buyer is not None else None) or tenant.settings.country
    phone = first_textable(phones, region)
    email = normalise_email(order.contact_email or (buyer.email if buyer is not None else None))
    if phone is None and email is None:
        return None
    return Contact(
        phone=phone.value if phone else None,
        phone_textable=bool(phone and phone.textable),
        phone_timezone=phone.timezone if phone else None,
        email=email.value if email else None,
        email_valid=bool(email and email.valid),
    )
