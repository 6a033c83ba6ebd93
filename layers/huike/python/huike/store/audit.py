"""Changes sellers make to their settings and flows: who (the API key), when, before and after.

Access patterns:
  record a change (with the change itself)     PutItem in the change's TransactWriteItems
  a tenant's changes, oldest first (paged)     Query PK tenant_id, SK > cursor
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from huike.core import clock, keys
from huike.store.base import BoundTable, query_page, register


@register
class ChangeRecord(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "audit_table"

    tenant_id = UnicodeAttribute(hash_key=True)
    change_id = UnicodeAttribute(range_key=True)  # keys.change_id: time-ordered
    actor = UnicodeAttribute()  # the API key's public id
    action = UnicodeAttribute()  # "settings.update", "flow.update"
    target = UnicodeAttribute(null=True)  # the flow
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    at = UTCDateTimeAttribute()


def new_change(
    tenant_id: str, actor: str, action: str, target: str | None, before: Any, after: Any, at: datetime | None = None
) -> ChangeRecord:
    moment = at or clock.now()
    return ChangeRecord(
        tenant_id,
        # Two changes in one second keep the order they were made in (nanoseconds, then random).
        keys.change_id(clock.to_iso(moment), f"{time.time_ns():020d}{uuid.uuid4().hex[:6]}"),
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        at=moment,
    )


def changes_page(tenant_id: str, *, limit: int, after: str | None) -> tuple[list[ChangeRecord], str | None]:
    return query_page(ChangeRecord, tenant_id, ("tenant_id", "change_id"), limit=limit, after=after)
