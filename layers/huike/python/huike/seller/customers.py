"""Customers as a seller sees them: the list (by contact, or every customer in id order, paged),
one customer's profile with its consent, suppressions and order stats, and the consent ledger's
history for that customer (append-only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from huike.config.tenant import Locale
from huike.core import clock
from huike.core.enums import Channel
from huike.core.errors import BadRequest, NotFound
from huike.core.zones import zone
from huike.seller.paging import Page, decode_cursor, encode_cursor


def list_customers(
    tenant_id: str, *, phone: str | None = None, email: str | None = None, limit: int = 50, cursor: str | None = None
) -> Page:
    """By phone or email: the one customer known by it (an index query). Otherwise every
    customer in id order, `limit` per page."""
    from huike.store import customers as store

    if phone or email:
        customer_id = _by_contact(tenant_id, phone, email)
        found = store.get_customer(tenant_id, customer_id) if customer_id else None
        return Page(items=[_summary(found)] if found else [])
    after = decode_cursor(cursor, "customer_id") if cursor else None
    records, last = store.customers_page(tenant_id, limit=limit, after=after)
    return Page(
        items=[_summary(c) for c in records], next_cursor=encode_cursor({"customer_id": last}) if last else None
    )


def customer_detail(tenant_id: str, customer_id: str) -> dict[str, Any]:
    from huike.store import consent as consent_store
    from huike.store import customers as store

    customer = store.get_customer(tenant_id, customer_id)
    if customer is None:
        raise NotFound("no such customer")
    addresses = [a for a in (customer.phone, customer.email) if a]
    suppressed = consent_store.suppressed_among(tenant_id, addresses) if addresses else frozenset()
    interval = customer.mean_order_interval_days
    expected = customer.last_order_at + timedelta(days=interval) if interval and customer.last_order_at else None
    return {
        **_summary(customer),
        "identities": sorted(customer.identities or []),
        "phone_textable": bool(customer.phone_textable),
        "email_valid": bool(customer.email_valid),
        "birthday": customer.birthday,
        "first_order_at": clock.to_iso_or_none(customer.first_order_at),
        "mean_order_interval_days": round(interval, 2) if interval else None,
        "expected_next_order_at": clock.to_iso_or_none(expected),
        "consent": {
            channel.value: {
                "marketing": customer.consent_state(channel),
                "opted_out": channel.value in (customer.opted_out_channels or set()),
            }
            for channel in Channel
        },
        "suppressed_addresses": sorted(suppressed),
        "pending_marketing": [entry.key for entry in customer.marketing_pending or []],
    }


class CustomerPatch(BaseModel):
    """What a seller may correct on a profile (JSON merge patch: null clears a field)."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    locale: Locale | None = None
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone, for quiet hours")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and zone(value) is None:
            raise ValueError(f"unknown time zone {value!r}")
        return value


def change_customer(tenant_id: str, customer_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    """Raises pydantic.ValidationError (422 with field paths) or NotFound; nothing changes then."""
    from huike.store import customers as store

    CustomerPatch.model_validate(patch)
    if not store.update_profile_fields(tenant_id, customer_id, patch):
        raise NotFound("no such customer")
    return customer_detail(tenant_id, customer_id)


def consent_history(tenant_id: str, customer_id: str) -> dict[str, Any]:
    from huike.store import consent as consent_store
    from huike.store import customers as store

    if store.get_customer(tenant_id, customer_id) is None:
        raise NotFound("no such customer")
    entries = consent_store.consent_history(tenant_id, customer_id)
    return {
        "items": [
            {
                "channel": e.channel,
                "purpose": e.purpose,
                "granted": e.granted,
                "at": clock.to_iso_or_none(e.at),
                "recorded_at": clock.to_iso_or_none(e.recorded_at),
                "source": e.source,
                "wording": e.wording,
                "proof": e.proof,
            }
            for e in entries
        ]
    }


def _by_contact(tenant_id: str, phone: str | None, email: str | None) -> str | None:
    from huike.customers.identity import normalise_email, normalise_phone
    from huike.store import customers as store
    from huike.store.tenants import get_tenant

    if phone:
        parsed = normalise_phone(phone, get_tenant(tenant_id).settings.country)
        if parsed is None or parsed.e164 is None:
            raise BadRequest("phone is not a valid number (E.164, or national for the shop's country)")
        return store.customer_id_by_phone(tenant_id, parsed.e164)
    assert email is not None
    normalised = normalise_email(email)
    if normalised is None or normalised.normalized is None:
        raise BadRequest("email is not a valid address")
    return store.customer_id_by_email(tenant_id, normalised.normalized)


def _summary(customer: Any) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": customer.phone,
        "email": customer.email,
        "locale": customer.locale,
        "timezone": customer.timezone,
        "country": customer.country,
        "order_count": int(customer.order_count or 0),
        "total_spent": customer.total_spent,
        "last_order_at": clock.to_iso_or_none(customer.last_order_at),
        "marketing_consent": {channel.value: customer.has_marketing_consent(channel) for channel in Channel},
        "created_at": clock.to_iso_or_none(customer.created_at),
    }
