"""The suppression list as a seller manages it: who is never messaged (STOP, bounces, complaints,
and the seller's own do-not-contact entries), listed in pages, added, and lifted."""

from __future__ import annotations

from typing import Any

from huike.core import clock
from huike.core.enums import SuppressionReason
from huike.core.errors import BadRequest, NotFound
from huike.seller.paging import Page, decode_cursor, encode_cursor


def list_suppressions(tenant_id: str, *, limit: int = 50, cursor: str | None = None) -> Page:
    from huike.store.consent import suppressions_page

    after = decode_cursor(cursor, "address") if cursor else None
    records, last = suppressions_page(tenant_id, limit=limit, after=after)
    return Page(items=[_entry(r) for r in records], next_cursor=encode_cursor({"address": last}) if last else None)


def add_suppression(tenant_id: str, address: str, note: str | None, added_by: str) -> dict[str, Any]:
    """A phone number (E.164, or national for the shop's country) or an email address."""
    from huike.store import consent as consent_store

    normalised = normalised_address(tenant_id, address)
    consent_store.suppress(tenant_id, normalised, SuppressionReason.SELLER, f"seller-api:{added_by}", note)
    stored = consent_store.get_suppression(tenant_id, normalised)
    assert stored is not None
    return _entry(stored)


def lift_suppression(tenant_id: str, address: str) -> None:
    from huike.store import consent as consent_store

    normalised = normalised_address(tenant_id, address)
    if consent_store.get_suppression(tenant_id, normalised) is None:
        raise NotFound("that address is not suppressed")
    consent_store.unsuppress(tenant_id, normalised)


def normalised_address(tenant_id: str, address: str) -> str:
    from huike.customers.identity import normalise_email, normalise_phone
    from huike.store.tenants import get_tenant

    if "@" in address:
        email = normalise_email(address)
        if email is None or email.normalized is None:
            raise BadRequest("address is not a valid email address")
        return email.normalized.lower()
    phone = normalise_phone(address, get_tenant(tenant_id).settings.country)
    if phone is None or phone.e164 is None:
        raise BadRequest("address is neither an email address nor a valid phone number")
    return phone.e164


def _entry(record: Any) -> dict[str, Any]:
    return {
        "address": record.address,
        "reason": record.reason,
        "source": record.source,
        "at": clock.to_iso(record.at),
        "note": record.detail if record.reason == SuppressionReason.SELLER else None,
    }
