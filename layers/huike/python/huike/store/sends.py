"""The send ledger: one record per business key, every decision with its reason.

Access patterns:
  get / claim by (tenant_id, send_key)     GetItem / conditional PutItem  PK tenant_shard, SK send_key
                                           send_key = keys.send_key(flow, subject, step); PK
                                           keys.tenant_shard of the subject
  one flow's records for one subject       Query PK tenant_shard, SK begins_with keys.send_key_prefix
  by provider message id                   Query GSI message_id-index (bounces, the local outbox)
  a customer's records (send log, erasure)  Query GSI customer-index (PK customer_key =
                                           "<tenant>#<customer>", SK send_key)
  the send log (seller API), in key order   Query each of the 16 shards [, SK begins_with <flow>#],
                                           merged; filters on status / subject / channel / time,
                                           ExclusiveStartKey = cursor
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from huike.core import keys
from huike.core.enums import REDECIDABLE_STATUSES, SendStatus
from huike.store.base import BoundTable, TenantSharded, get_sharded, query_page, register, sharded_page


class MessageIdIndex(GlobalSecondaryIndex["SendRecord"]):
    class Meta:
        index_name = "message_id-index"
        projection = AllProjection()

    message_id = UnicodeAttribute(hash_key=True)


class CustomerSendsIndex(GlobalSecondaryIndex["SendRecord"]):
    class Meta:
        index_name = "customer-index"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    send_key = UnicodeAttribute(range_key=True)


@register
class SendRecord(TenantSharded, Model):
    class Meta(metaclass=BoundTable):
        table_setting = "send_ledger_table"

    @staticmethod
    def shard_subject(sort_key: str) -> str:
        return keys.subject_of(sort_key)

    tenant_shard = UnicodeAttribute(hash_key=True)
    send_key = UnicodeAttribute(range_key=True)
    flow = UnicodeAttribute()
    purpose = UnicodeAttribute()
    status = UnicodeAttribute()  # SendStatus
    reason = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    recipient = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    message_id_index = MessageIdIndex()
    customer_key = UnicodeAttribute(null=True)
    customer_index = CustomerSendsIndex()
    body = UnicodeAttribute(null=True)
    deferred_until = UTCDateTimeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    decided_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)


def send_record(tenant_id: str, send_key: str) -> SendRecord | None:
    return get_sharded(SendRecord, tenant_id, send_key)


def claim_send(record: SendRecord) -> bool:
    """Write a ledger decision unless the key was already decided for good.

    A key can be re-decided only while it is deferred or failed with a definite error; any other
    record (sending, sent, skipped) wins, which is what makes a business key send at most once.
    """
    from pynamodb.exceptions import PutError

    condition = SendRecord.send_key.does_not_exist() | SendRecord.status.is_in(*REDECIDABLE_STATUSES)
    if record.customer_id:
        record.customer_key = keys.customer_key(record.tenant_id, record.customer_id)
    try:
        record.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def mark_sent(record: SendRecord, channel: str, recipient: str, message_id: str, body: str, sent_at: datetime) -> None:
    record.update(
        actions=[
            SendRecord.status.set(SendStatus.SENT),
            SendRecord.channel.set(channel),
            SendRecord.recipient.set(recipient),
            SendRecord.message_id.set(message_id),
            SendRecord.body.set(body),
            SendRecord.sent_at.set(sent_at),
        ]
    )


def mark_failed(record: SendRecord, reason: str) -> None:
    record.update(actions=[SendRecord.status.set(SendStatus.FAILED), SendRecord.reason.set(reason)])


def sends_by_message_id(message_id: str) -> list[SendRecord]:
    return list(SendRecord.message_id_index.query(message_id))


def sends_for(tenant_id: str, key_prefix: str) -> list[SendRecord]:
    """Ledger records whose business key starts with a prefix (one flow for one subject)."""
    partition = keys.tenant_shard(tenant_id, keys.subject_of(key_prefix))
    return list(SendRecord.query(partition, SendRecord.send_key.startswith(key_prefix)))


def ledger_page(
    tenant_id: str,
    *,
    flow: str | None,
    status: str | None,
    customer_id: str | None,
    channel: str | None,
    limit: int,
    after: str | None,
    subject_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[SendRecord], str | None]:
    """Up to `limit` records in key order after the key `after`, and the key to continue after
    (None at the end). One customer is a partition of the customer index; one flow narrows the key
    range; the others are filters on it."""
    range_condition = SendRecord.send_key.startswith(keys.flow_send_key_prefix(flow)) if flow else None
    conditions = [
        condition
        for condition in (
            SendRecord.status == status if status else None,
            SendRecord.channel == channel if channel else None,
            SendRecord.send_key.contains(keys.subject_infix(subject_id)) if subject_id else None,
            SendRecord.decided_at >= since if since else None,
            SendRecord.decided_at < until if until else None,
        )
        if condition is not None
    ]
    filter_condition = None
    for condition in conditions:
        filter_condition = condition if filter_condition is None else filter_condition & condition
    if customer_id:
        return query_page(
            SendRecord,
            keys.customer_key(tenant_id, customer_id),
            ("customer_key", "send_key"),
            limit=limit,
            after=after,
            range_condition=range_condition,
            filter_condition=filter_condition,
            index=SendRecord.customer_index,
            table_keys=lambda send_key: {"tenant_shard": SendRecord.key_tuple(tenant_id, send_key)[0]},
        )
    return sharded_page(
        SendRecord,
        tenant_id,
        "send_key",
        limit=limit,
        after=after,
        range_condition=range_condition,
        filter_condition=filter_condition,
    )


def sends_of(tenant_id: str, customer_id: str) -> list[SendRecord]:
    """Every ledger record about one customer (erasure)."""
    return list(SendRecord.customer_index.query(keys.customer_key(tenant_id, customer_id)))


def redact(records: list[SendRecord]) -> int:
    """Remove what a message said and to whom (erasure); the decision and its reason stay."""
    for record in records:
        record.update(actions=[SendRecord.recipient.remove(), SendRecord.body.remove(), SendRecord.detail.remove()])
    return len(records)
