"""PynamoDB models, one table each (see docs/decisions.md, "Tables").

Access patterns (every one a key or index query; no Scan anywhere):
  Tenant         get by tenant_id                          TenantsTable   PK tenant_id
  Customer       get/update by (tenant_id, customer_id)    CustomersTable PK tenant_id, SK customer_id
                 customer_id is derived from the identity the platform sends
                 (platform customer id, else phone, else email), so an upsert needs no read.
  Order          get/update by (tenant_id, order_id)       OrdersTable    PK tenant_id, SK order_id
  SendRecord     get/claim by (tenant_id, send_key)        SendLedgerTable PK tenant_id, SK send_key
                 send_key = "<flow>#<order or customer id>#<step>" (the business key)
                 by provider message id                    GSI message_id-index (delivery receipts,
                                                           bounces, the local outbox)
  Idempotency    Powertools' own record                    IdempotencyTable PK id
"""

from __future__ import annotations

import functools
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from huike.settings import settings


class Tenant(Model):
    class Meta:
        table_name = "TenantsTable"

    tenant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    api_key_hash = UnicodeAttribute()
    webhook_secrets = JSONAttribute(default=dict)
    timezone = UnicodeAttribute(default="UTC")
    country = UnicodeAttribute(default="US")
    locale = UnicodeAttribute(default="en")
    sender_name = UnicodeAttribute(null=True)
    flows = JSONAttribute(default=dict)
    quiet_hours = JSONAttribute(default=dict)
    created_at = UTCDateTimeAttribute()


class Customer(Model):
    class Meta:
        table_name = "CustomersTable"

    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    identities = UnicodeSetAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_textable = BooleanAttribute(null=True)
    phone_timezone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    email_valid = BooleanAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    opted_out_channels = UnicodeSetAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)


class TimelineEntry(MapAttribute[str, Any]):
    event = UnicodeAttribute()
    at = UnicodeAttribute()
    received_at = UnicodeAttribute()


class Order(Model):
    class Meta:
        table_name = "OrdersTable"

    tenant_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    platform = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    total_price = UnicodeAttribute(null=True)
    payment_url = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    placed_at = UTCDateTimeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    payment_due_at = UTCDateTimeAttribute(null=True)
    timeline = ListAttribute(of=TimelineEntry, null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    @property
    def status(self) -> str:
        """Derived from timestamps, so events converge whatever order they arrive in."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.paid_at is not None:
            return "paid"
        if self.placed_at is not None:
            return "pending"
        return "unknown"


class MessageIdIndex(GlobalSecondaryIndex["SendRecord"]):
    class Meta:
        index_name = "message_id-index"
        projection = AllProjection()

    message_id = UnicodeAttribute(hash_key=True)


class SendRecord(Model):
    class Meta:
        table_name = "SendLedgerTable"

    tenant_id = UnicodeAttribute(hash_key=True)
    send_key = UnicodeAttribute(range_key=True)
    flow = UnicodeAttribute()
    purpose = UnicodeAttribute()
    status = UnicodeAttribute()  # sending | sent | deferred | skipped | failed
    reason = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    recipient = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    message_id_index = MessageIdIndex()
    body = UnicodeAttribute(null=True)
    deferred_until = UTCDateTimeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    decided_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (Tenant, Customer, Order, SendRecord)


@functools.cache
def bind_tables() -> None:
    """Point every model at its table from the environment (called lazily before first use)."""
    config = settings()
    names = {
        Tenant: config.tenants_table,
        Customer: config.customers_table,
        Order: config.orders_table,
        SendRecord: config.send_ledger_table,
    }
    for model, table_name in names.items():
        model.Meta.table_name = table_name
        model.Meta.region = config.region
        model._connection = None
