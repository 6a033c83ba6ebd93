"""Customer profiles from events: normalise contacts, find who the event is about, write once.

Merge rule: the platform's customer id when the event has one (no read); otherwise the customer
already known by that phone, then by that email (one index query each, stopping at the first
hit); otherwise a new id derived from the phone or email (keys.contact_customer_id).
"""

from __future__ import annotations

from datetime import datetime

from huike.config.tenant import TenantConfig
from huike.core import keys
from huike.core.events import CustomerData, OrderData
from huike.customers.identity import first_textable, normalise_email, normalise_phone
from huike.store import customers as store
from huike.store.customers import Customer, ProfileChange, ProfileWrite
from huike.store.orders import Contact


def resolve_customer_id(tenant: TenantConfig, data: CustomerData, phone: str | None, email: str | None) -> str | None:
    if data.platform_id:
        return data.platform_id
    if phone and (known := store.customer_id_by_phone(tenant.tenant_id, phone)):
        return known
    if email and (known := store.customer_id_by_email(tenant.tenant_id, email)):
        return known
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
    return store.write_delivery_of_profile(planned)


def customer_change(
    tenant: TenantConfig,
    data: CustomerData,
    source: str = "events",
    reservation: tuple[str, datetime] | None = None,
) -> ProfileChange | None:
    """What the event writes to its customer (not sent; see upsert_customer); None when it
    identifies nobody."""
    phone = normalise_phone(data.phone, data.country or tenant.settings.country)
    email = normalise_email(data.email)
    customer_id = resolve_customer_id(tenant, data, phone.e164 if phone else None, email.normalized if email else None)
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
    return store.profile_change(tenant.tenant_id, customer_id, profile, data.consents, source, reservation)


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
