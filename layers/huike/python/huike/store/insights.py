"""A tenant's maintained counters: its repurchase rhythm and its customer counts (reach, missing
data, marketing consent, tags), each summed over eight shard items so no key is hot.

Access patterns:
  count one repeat interval       in the order-stats TransactWriteItems: UpdateItem ADD d<N> 1 on
                                  PK counter_key "<tenant>#rhythm#<shard>"
  apply one customer change once  TransactWriteItems: PutItem "<tenant>#seen#<stream event id>"
                                  (condition: absent; TTL 2 days) + UpdateItem ADD on
                                  "<tenant>#counts#<shard>"
  read a tenant's counters        BatchGetItem of the 8 shards of one kind (O(1) in customers/orders)
  publish / read RFM thresholds   PutItem / GetItem "<tenant>#rfm-thresholds" (nightly / hourly)
  shard = hash(customer id) mod 8

Sharded so that a sales-festival peak (500 orders/s) puts at most ~60 writes/s on any one key,
far below DynamoDB's 1,000 WCU per partition key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from huike.core import clock, keys
from huike.store.base import BoundTable, dynamodb_connection, register

SHARDS = 8
MAX_DAY = 730  # longer intervals are counted as 730 ("two years or more")
DAY_PREFIX = "d"
CATEGORY_PREFIX = "c:"  # "c:<category>:<days>": one category's repeat intervals
SEEN_FOR = timedelta(days=2)  # longer than a stream record's 24 h of retries


@register
class InsightCounter(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "insights_table"

    counter_key = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute(null=True)  # on "seen" markers only
    document = JSONAttribute(null=True)  # the published RFM thresholds only
    # The counters themselves are top-level number attributes named by what they count (d17,
    # reach:phone_only, tag:vip...): ADD on a new attribute needs nothing to exist first.


def shard_of(customer_id: str) -> int:
    return keys.shard_number(customer_id, SHARDS)


def _adds(moved: Mapping[str, int]) -> list[Any]:
    return [NumberAttribute(attr_name=name).add(amount) for name, amount in sorted(moved.items())]


def interval_update(
    tenant_id: str, customer_id: str, days: float | None, category_days: Mapping[str, float]
) -> tuple[InsightCounter, list[Any]] | None:
    """The item and actions that count one repeat interval of the store (`days`) and of each
    category bought again (for the order-stats transaction); None when there is none."""
    moved = {f"{DAY_PREFIX}{_day(days)}": 1} if days is not None else {}
    moved |= {f"{CATEGORY_PREFIX}{category}:{_day(interval)}": 1 for category, interval in category_days.items()}
    if not moved:
        return None
    return InsightCounter(keys.counter_key(tenant_id, "rhythm", shard_of(customer_id))), _adds(moved)


def _day(days: float) -> int:
    return min(MAX_DAY, max(0, int(days)))


def add_to_counters(tenant_id: str, customer_id: str, event_id: str, moved: Mapping[str, int]) -> bool:
    """Add `moved` to the tenant's customer counters once per stream event; False when the event
    was applied before (a retried batch)."""
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    seen = InsightCounter(keys.seen_key(tenant_id, event_id), expires_at=clock.now() + SEEN_FOR)
    shard = InsightCounter(keys.counter_key(tenant_id, "counts", shard_of(customer_id)))
    try:
        with TransactWrite(connection=dynamodb_connection()) as transaction:
            transaction.save(seen, condition=InsightCounter.counter_key.does_not_exist())
            transaction.update(shard, actions=_adds(moved))
    except TransactWriteError as exc:
        reasons = [reason.code if reason is not None else None for reason in exc.cancellation_reasons]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


def counters(tenant_id: str, kind: str) -> dict[str, int]:
    """The tenant's counters of one kind ("rhythm", "counts"), summed over the shards."""
    table = str(InsightCounter.Meta.table_name)
    wanted = [{"counter_key": {"S": keys.counter_key(tenant_id, kind, shard)}} for shard in range(SHARDS)]
    client = dynamodb_connection().client
    items: list[dict[str, Any]] = []
    while wanted:
        response = client.batch_get_item(RequestItems={table: {"Keys": wanted}})
        items += response.get("Responses", {}).get(table, [])
        wanted = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    totals: dict[str, int] = {}
    for item in items:
        for name, value in item.items():
            if "N" in value and name != "expires_at":
                totals[name] = totals.get(name, 0) + int(value["N"])
    return totals


def rhythm_histogram(tenant_id: str) -> dict[int, int]:
    """{whole days between a customer's consecutive orders: how many repeat orders}."""
    return rhythm_histograms(tenant_id)[0]


def rhythm_histograms(tenant_id: str) -> tuple[dict[int, int], dict[str, dict[int, int]]]:
    """The store's rhythm histogram and each category's ({category: {days: how many}}), from
    one read of the rhythm counters' shards."""
    store: dict[int, int] = {}
    categories: dict[str, dict[int, int]] = {}
    for name, count in counters(tenant_id, "rhythm").items():
        if name.startswith(DAY_PREFIX) and name[1:].isdigit():
            store[int(name[1:])] = count
        elif name.startswith(CATEGORY_PREFIX) and count > 0:
            category, _, day = name[len(CATEGORY_PREFIX) :].rpartition(":")
            if day.isdigit():
                categories.setdefault(category, {})[int(day)] = count
    return store, categories


def publish_thresholds(tenant_id: str, document: Mapping[str, Any]) -> None:
    InsightCounter(keys.thresholds_key(tenant_id), document=dict(document)).save()


def published_thresholds(tenant_id: str) -> dict[str, Any] | None:
    from huike.store.base import get_or_none

    item = get_or_none(InsightCounter, keys.thresholds_key(tenant_id))
    return dict(item.document) if item is not None and item.document else None
