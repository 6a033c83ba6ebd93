"""The send log: every send decision the ledger holds (sent, skipped with its reason, deferred,
failed), filtered and paged. How a seller answers "why did this buyer not get the reminder?"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huike.core import clock, keys
from huike.core.enums import SendStatus
from huike.core.errors import BadRequest
from huike.seller.paging import Page, decode_cursor, encode_cursor


def send_log(
    tenant_id: str,
    *,
    flow: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    channel: str | None = None,
    order_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    from huike.store.sends import ledger_page

    if status is not None and status not in {s.value for s in SendStatus}:
        raise BadRequest(f"status must be one of {', '.join(s.value for s in SendStatus)}")
    after = decode_cursor(cursor, "send_key") if cursor else None
    records, last_key = ledger_page(
        tenant_id,
        flow=flow,
        status=status,
        customer_id=customer_id,
        channel=channel,
        limit=limit,
        after=after,
        subject_id=order_id,
        since=since,
        until=until,
    )
    items = [_entry(record) for record in records]
    return Page(items=items, next_cursor=encode_cursor({"send_key": last_key}) if last_key else None)


def _entry(record: Any) -> dict[str, Any]:
    return {
        "send_key": record.send_key,
        "subject_id": keys.subject_of(record.send_key),
        "flow": record.flow,
        "purpose": record.purpose,
        "status": record.status,
        "reason": record.reason,
        "detail": record.detail,
        "channel": record.channel,
        "customer_id": record.customer_id,
        "decided_at": clock.to_iso_or_none(record.decided_at),
        "sent_at": clock.to_iso_or_none(record.sent_at),
        "deferred_until": clock.to_iso_or_none(record.deferred_until),
    }
