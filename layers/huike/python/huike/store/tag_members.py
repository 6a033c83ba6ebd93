"""Tag members: which customers carry each tag, so a tag lists in O(page).

Access patterns:
  follow a customer's tags (customers stream)  BatchWriteItem puts and deletes, 25 a call
  a tag's customers, in id order (seller API)  Query PK "<tenant>#<tag>#<shard>" on each of 8
                                               shards, merged (store.base.merged_page); then
                                               BatchGetItem of the page (store.customers)
PK member_key = keys.tag_member_key (the shard from the customer id: a bulk tagging of a whole
segment spreads its writes), SK customer_id. Manual, industry and automatic tags alike; counts
are the tenant's counters (customers.counting), not a Query here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from huike.core import keys
from huike.store.base import BoundTable, merged_page, register

SHARDS = 8


@register
class TagMember(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "tag_members_table"

    member_key = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)


def _member_key(tenant_id: str, tag: str, customer_id: str) -> str:
    return keys.tag_member_key(tenant_id, tag, keys.shard_number(customer_id, SHARDS))


def follow_tags(tenant_id: str, customer_id: str, added: Iterable[str], removed: Iterable[str]) -> None:
    """Add the customer to the tags they gained and take them off the ones they lost (puts and
    deletes are idempotent, so a retried stream record changes nothing more)."""
    with TagMember.batch_write() as batch:
        for tag in sorted(set(added)):
            batch.save(TagMember(_member_key(tenant_id, tag, customer_id), customer_id))
        for tag in sorted(set(removed)):
            batch.delete(TagMember(_member_key(tenant_id, tag, customer_id), customer_id))


def members_page(tenant_id: str, tag: str, *, limit: int, after: str | None) -> tuple[list[str], str | None]:
    """A tag's customer ids in id order, `limit` at a time, and the id to continue after."""

    def start(partition: str) -> dict[str, Any] | None:
        return {"member_key": {"S": partition}, "customer_id": {"S": after}} if after else None

    page, last = merged_page(
        TagMember,
        [keys.tag_member_key(tenant_id, tag, shard) for shard in range(SHARDS)],
        limit=limit,
        order=lambda item: str(item.customer_id),
        start=start,
    )
    return [str(item.customer_id) for item in page], (str(last.customer_id) if last is not None else None)
