"""PynamoDB models, one table each (see docs/decisions.md, "Tables").

Access patterns (every one a key or index query; no Scan anywhere):
  Tenant         get by tenant_id                          TenantsTable   PK tenant_id
                 by SMS origination number (inbound replies) GSI sms_number-index
  Customer       get/update by (tenant_id, customer_id)    CustomersTable PK tenant_id, SK customer_id
                 customer_id is the platform customer id when the event has one (no read);
                 otherwise the customer already known by that phone or email     GSI phone-index,
                 (one index query), else a new id from the phone or email        GSI email-index
  Order          get/update by (tenant_id, order_id)       OrdersTable    PK tenant_id, SK order_id
                 changes stream (NEW_AND_OLD_IMAGES) to the lifecycle function, which sends notices,
                 keeps customer order stats and starts timed flows on each status transition
  Cart           get/update by (tenant_id, cart_id)        CartsTable     PK tenant_id, SK cart_id
  Suppression    get by (tenant_id, address)               SuppressionsTable PK tenant_id, SK address
                 address = E.164 number or lower-cased email
  ConsentEntry   append; list a customer's history by      ConsentLedgerTable PK tenant_id,
                 Query begins_with(entry_id, customer_id#) SK entry_id = customer_id#at#channel#unique
  SendRecord     get/claim by (tenant_id, send_key)        SendLedgerTable PK tenant_id, SK send_key
                 send_key = "<flow>#<order or customer id>#<step>" (the business key)
                 by provider message id                    GSI message_id-index (delivery receipts,
                                                           bounces, the local outbox)
  Idempotency    Powertools' own record                    IdempotencyTable PK id
"""

from __future__ import annotations

from datetime import datetime
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
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from huike.config.env import settings
from huike.core.caches import process_cache


class SmsNumberIndex(GlobalSecondaryIndex["Tenant"]):
    class Meta:
        index_name = "sms_number-index"
        projection = AllProjection()

    sms_number = UnicodeAttribute(hash_key=True)


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
    sender_email = UnicodeAttribute(null=True)
    sms_number = UnicodeAttribute(null=True)
    sms_number_index = SmsNumberIndex()
    unsubscribe_base_url = UnicodeAttribute(null=True)
    flows = JSONAttribute(default=dict)
    quiet_hours = JSONAttribute(default=dict)
    created_at = UTCDateTimeAttribute()


class PhoneIndex(GlobalSecondaryIndex["Customer"]):
    class Meta:
        index_name = "phone-index"
        projection = KeysOnlyProjection()

    phone = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)


class EmailIndex(GlobalSecondaryIndex["Customer"]):
    class Meta:
        index_name = "email-index"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)


class PendingSend(MapAttribute[str, Any]):
    key = UnicodeAttribute()  # "<flow>#<subject>"
    due = UnicodeAttribute()


class Customer(Model):
    class Meta:
        table_name = "CustomersTable"

    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    identities = UnicodeSetAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_index = PhoneIndex()
    email_index = EmailIndex()
    phone_textable = BooleanAttribute(null=True)
    phone_timezone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    email_valid = BooleanAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)  # YYYY-MM-DD
    opted_out_channels = UnicodeSetAttribute(null=True)
    # Current marketing consent per channel: {"granted": bool, "at": iso, "source": str}.
    # The full history (wording, proof) is in the consent ledger.
    sms_consent = JSONAttribute(null=True)
    mms_consent = JSONAttribute(null=True)
    email_consent = JSONAttribute(null=True)
    order_count = NumberAttribute(null=True)
    total_spent = NumberAttribute(null=True)
    first_order_at = UTCDateTimeAttribute(null=True)
    last_order_at = UTCDateTimeAttribute(null=True)
    last_order_id = UnicodeAttribute(null=True)
    # Marketing sends of the last 7 days, for frequency caps: [{"at", "channel", "flow"}]
    marketing_sends = JSONAttribute(null=True)
    # Marketing flows scheduled for this customer, for cap priority. A list, so a reservation can
    # be appended in the same UpdateItem that creates the customer (list_append(if_not_exists)).
    marketing_pending = ListAttribute(of=PendingSend, null=True)

    def pending_sends(self) -> dict[str, datetime]:
        from huike.core.clock import parse_iso

        return {entry.key: parse_iso(entry.due) for entry in self.marketing_pending or []}

    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    def has_marketing_consent(self, channel: str) -> bool:
        entry = {"sms": self.sms_consent, "mms": self.mms_consent, "email": self.email_consent}.get(channel)
        if channel == "mms" and entry is None:
            entry = self.sms_consent  # consent to marketing texts covers picture messages
        return bool(entry and entry.get("granted"))

    @property
    def mean_order_interval_days(self) -> float | None:
        if not self.order_count or self.order_count < 2 or not self.first_order_at or not self.last_order_at:
            return None
        return (self.last_order_at - self.first_order_at).total_seconds() / 86400 / (self.order_count - 1)


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
    refunded_at = UTCDateTimeAttribute(null=True)
    shipped_at = UTCDateTimeAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    payment_due_at = UTCDateTimeAttribute(null=True)
    tracking_number = UnicodeAttribute(null=True)
    tracking_url = UnicodeAttribute(null=True)
    carrier = UnicodeAttribute(null=True)
    cart_id = UnicodeAttribute(null=True)
    line_items = JSONAttribute(null=True)
    timeline = ListAttribute(of=TimelineEntry, null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    @property
    def status(self) -> str:
        """Derived from timestamps, so events converge whatever order they arrive in."""
        if self.refunded_at is not None:
            return "refunded"
        if self.cancelled_at is not None:
            return "cancelled"
        if self.delivered_at is not None:
            return "delivered"
        if self.shipped_at is not None:
            return "shipped"
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
    detail = UnicodeAttribute(null=True)
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


class Cart(Model):
    class Meta:
        table_name = "CartsTable"

    tenant_id = UnicodeAttribute(hash_key=True)
    cart_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    recovery_url = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    total_price = UnicodeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    line_items = JSONAttribute(null=True)


class Suppression(Model):
    class Meta:
        table_name = "SuppressionsTable"

    tenant_id = UnicodeAttribute(hash_key=True)
    address = UnicodeAttribute(range_key=True)
    reason = UnicodeAttribute()  # stop | bounce | complaint
    source = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    detail = UnicodeAttribute(null=True)


class ConsentEntry(Model):
    class Meta:
        table_name = "ConsentLedgerTable"

    tenant_id = UnicodeAttribute(hash_key=True)
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


ALL_MODELS: tuple[type[Model], ...] = (Tenant, Customer, Order, SendRecord, Cart, Suppression, ConsentEntry)


@process_cache
def bind_tables() -> None:
    """Point every model at its table from the environment (called lazily before first use)."""
    config = settings()
    names = {
        Tenant: config.tenants_table,
        Customer: config.customers_table,
        Order: config.orders_table,
        SendRecord: config.send_ledger_table,
        Cart: config.carts_table,
        Suppression: config.suppressions_table,
        ConsentEntry: config.consent_ledger_table,
    }
    for model, table_name in names.items():
        model.Meta.table_name = table_name
        model.Meta.region = config.region
        model._connection = None
