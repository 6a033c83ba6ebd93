"""Consent ledger (append-only history) and suppressions.

Access patterns:
  ConsentEntry  append                               PutItem / in the customer's TransactWriteItems
                a customer's history                 Query PK tenant_shard, SK begins_with "<customer_id>#"
                (SK entry_id = "<customer or address-...>#<at>#<channel>#<unique>", keys.consent_entry_id;
                PK keys.tenant_shard of the subject, so one subject's history is one partition)
  Suppression   get by (tenant_id, address)          GetItem  PK tenant_id, SK address
                candidate addresses, with their erased
                pseudonyms                           BatchGetItem (one call per send decision)
                suppress / lift                      PutItem / DeleteItem
                address = E.164 number or lower-cased email, or for an erased person only
                keys.erased_address(address) (a keyed pseudonym), asked for beside the address
  erasure       a subject's history                  Query SK begins_with "<subject>#", BatchWriteItem deletes
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from huike.core import clock, keys
from huike.core.enums import Purpose, SuppressionReason
from huike.core.events import ConsentData
from huike.store.base import BoundTable, TenantSharded, get_or_none, query_page, register, utc


@register
class ConsentEntry(TenantSharded, Model):
    class Meta(metaclass=BoundTable):
        table_setting = "consent_ledger_table"

    @staticmethod
    def shard_subject(sort_key: str) -> str:
        return keys.consent_subject_of(sort_key)

    tenant_shard = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    purpose = UnicodeAttribute()
    granted = BooleanAttribute()
    at = UTCDateTimeAttribute()
    recorded_at = UTCDateTimeAttribute()
    source = UnicodeAttribute()
    wording = UnicodeAttribute(null=True)
    proof = JSONAttribute(null=True)


@register
class Suppression(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "suppressions_table"

    tenant_id = UnicodeAttribute(hash_key=True)
    address = UnicodeAttribute(range_key=True)
    reason = UnicodeAttribute()  # SuppressionReason
    source = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    detail = UnicodeAttribute(null=True)


# -- consent ledger ---------------------------------------------------------------------------
def consent_entries(
    tenant_id: str, customer_id: str | None, address: str | None, consents: Iterable[ConsentData], source: str
) -> list[ConsentEntry]:
    now = clock.now()
    subject = keys.consent_subject(customer_id, address)
    entries = []
    for consent in consents:
        at = utc(consent.at) if consent.at else now
        entries.append(
            ConsentEntry.key(
                tenant_id,
                # A statement is never overwritten, even by another in the same second.
                keys.consent_entry_id(subject, clock.to_iso(at), consent.channel, uuid.uuid4().hex[:12]),
                customer_id=customer_id,
                address=address,
                channel=consent.channel,
                purpose=Purpose.MARKETING,
                granted=consent.granted,
                at=at,
                recorded_at=now,
                source=source,
                wording=consent.wording,
                proof=consent.proof or None,
            )
        )
    return entries


def record_consents(
    tenant_id: str, customer_id: str | None, address: str | None, consents: list[ConsentData], source: str
) -> None:
    """Append consent statements to the ledger (one BatchWriteItem)."""
    with ConsentEntry.batch_write() as batch:
        for entry in consent_entries(tenant_id, customer_id, address, consents, source):
            batch.save(entry)


def consent_history(tenant_id: str, customer_id: str) -> list[ConsentEntry]:
    return list(
        ConsentEntry.query(
            keys.tenant_shard(tenant_id, customer_id),
            ConsentEntry.entry_id.startswith(keys.consent_history_prefix(customer_id)),
        )
    )


# -- suppressions -------------------------------------------------------------------------------
def get_suppression(tenant_id: str, address: str) -> Suppression | None:
    return get_or_none(Suppression, tenant_id, address.lower())


def suppressions_among(tenant_id: str, addresses: Iterable[str], secret: str) -> dict[str, Suppression]:
    """Each address's suppression: its own entry, else the pseudonym an erasure left for it. One
    BatchGetItem for the candidates of a send decision (none when there are no addresses)."""
    wanted = sorted({address.lower() for address in addresses})
    if not wanted:
        return {}
    by_key = {address: address for address in wanted} | {keys.erased_address(a, secret): a for a in wanted}
    found: dict[str, Suppression] = {}
    for item in Suppression.batch_get([(tenant_id, key) for key in sorted(by_key)]):
        address = by_key[item.address]
        if address not in found or item.address == address:  # the address's own entry first
            found[address] = item
    return found


def erase_addresses(tenant_id: str, addresses: Iterable[str], secret: str, at: datetime) -> int:
    """Replace each address's suppression (if any) by an `erased` pseudonym entry: the person is
    never messaged again without new consent, and the address itself is no longer stored."""
    wanted = sorted({address.lower() for address in addresses})
    with Suppression.batch_write() as batch:
        for address in wanted:
            batch.save(
                Suppression(
                    tenant_id,
                    keys.erased_address(address, secret),
                    reason=SuppressionReason.ERASED,
                    source="erasure",
                    at=at,
                )
            )
            batch.delete(Suppression(tenant_id, address))
    return len(wanted)


def delete_history(tenant_id: str, subjects: Iterable[str]) -> int:
    """Delete every consent statement of these subjects (a customer id, "address-<address>")."""
    entries = [
        entry
        for subject in sorted(set(subjects))
        for entry in ConsentEntry.query(
            keys.tenant_shard(tenant_id, subject),
            ConsentEntry.entry_id.startswith(keys.consent_history_prefix(subject)),
        )
    ]
    with ConsentEntry.batch_write() as batch:
        for entry in entries:
            batch.delete(entry)
    return len(entries)


def suppress(tenant_id: str, address: str, reason: str, source: str, detail: str | None = None) -> None:
    Suppression(tenant_id, address.lower(), reason=reason, source=source, at=clock.now(), detail=detail).save()


def unsuppress(tenant_id: str, address: str) -> None:
    Suppression(tenant_id, address.lower()).delete()


def suppressions_page(tenant_id: str, *, limit: int, after: str | None) -> tuple[list[Suppression], str | None]:
    """The tenant's suppression list in address order (the seller API), `limit` at a time."""
    return query_page(Suppression, tenant_id, ("tenant_id", "address"), limit=limit, after=after)
