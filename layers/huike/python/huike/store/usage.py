"""Seller API usage: one counter per tenant and minute, for the per-tenant rate limit.

Access patterns:
  count a request                       UpdateItem ADD requests 1 (returns the new count)
                                        PK tenant_id, SK window ("YYYY-MM-DDTHH:MM", UTC)
  expiry                                TTL expires_at, a few minutes after the window
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from huike.store.base import BoundTable, register

WINDOW = timedelta(minutes=1)
KEPT_FOR = timedelta(minutes=10)


@register
class UsageCounter(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "usage_table"

    tenant_id = UnicodeAttribute(hash_key=True)
    window = UnicodeAttribute(range_key=True)
    requests = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


def window_start(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def count_request(tenant_id: str, moment: datetime) -> int:
    """Count one request in the tenant's current minute; the count including it."""
    start = window_start(moment)
    counter = UsageCounter(tenant_id, start.strftime("%Y-%m-%dT%H:%M"))
    counter.update(actions=[UsageCounter.requests.add(1), UsageCounter.expires_at.set(start + KEPT_FOR)])
    return int(counter.requests)  # the item as updated (ALL_NEW)
