"""Orders.

Access patterns:
  get / merge an event by (tenant_id, order_id)   GetItem / UpdateItem  PK tenant_shard (keys.tenant_shard
                                                  of the order id), SK order_id
  changes                                         stream NEW_AND_OLD_IMAGES -> the lifecycle function,
                                                  which acts once on each status transition
  counted in its customer's stats, once           TransactWriteItems with the customer (customers.py)
  a customer's orders (seller API, erasure)       Query GSI customer-index (PK customer_key =
                                                  "<tenant>#<customer>", SK order_id)

Status is derived from first-seen timestamps (if_not_exists), so deliveries converge to the same
state whatever order they arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from huike.core import clock, keys
from huike.core.enums import OrderStatus
from huike.core.events import Event
from huike.store.base import BoundTable, Change, TenantSharded, get_sharded, register, utc


@dataclass(frozen=True)
class Contact:
    """Where one order's messages go, normalised (customers.profile.order_contact builds it)."""

    phone: str | None = None
    phone_textable: bool = False
    phone_timezone: str | None = None
    email: str | None = None
    email_valid: bool = False


class TimelineEntry(MapAttribute[str, Any]):
    event = UnicodeAttribute()
    at = UnicodeAttribute()
    received_at = UnicodeAttribute()


class CustomerOrdersIndex(GlobalSecondaryIndex["Order"]):
    class Meta:
        index_name = "customer-index"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)


@register
class Order(TenantSharded, Model):
    class Meta(metaclass=BoundTable):
        table_setting = "orders_table"

    tenant_shard = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    platform = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    customer_key = UnicodeAttribute(null=True)
    customer_index = CustomerOrdersIndex()
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
    # The order's own contact: its messages go here, not to a number a later order gave the profile.
    contact_phone = UnicodeAttribute(null=True)
    contact_phone_textable = BooleanAttribute(null=True)
    contact_phone_timezone = UnicodeAttribute(null=True)
    contact_email = UnicodeAttribute(null=True)
    contact_email_valid = BooleanAttribute(null=True)
    line_items = JSONAttribute(null=True)
    timeline = ListAttribute(of=TimelineEntry, null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    # Set in the same transaction that adds the order to its customer's stats: once per order.
    stats_counted_at = UTCDateTimeAttribute(null=True)
    # History from an import: counted in its customer's stats, never a reason to message anyone.
    imported_by = UnicodeAttribute(null=True)

    @property
    def contact(self) -> Contact | None:
        if not self.contact_phone and not self.contact_email:
            return None
        return Contact(
            phone=self.contact_phone,
            phone_textable=bool(self.contact_phone_textable),
            phone_timezone=self.contact_phone_timezone,
            email=self.contact_email,
            email_valid=bool(self.contact_email_valid),
        )

    @property
    def status(self) -> OrderStatus:
        """Derived from timestamps, so events converge whatever order they arrive in."""
        for moment, status in (
            (self.refunded_at, OrderStatus.REFUNDED),
            (self.cancelled_at, OrderStatus.CANCELLED),
            (self.delivered_at, OrderStatus.DELIVERED),
            (self.shipped_at, OrderStatus.SHIPPED),
            (self.paid_at, OrderStatus.PAID),
            (self.placed_at, OrderStatus.PENDING),
        ):
            if moment is not None:
                return status
        return OrderStatus.UNKNOWN


def get_order(tenant_id: str, order_id: str) -> Order | None:
    return get_sharded(Order, tenant_id, order_id)


def orders_of(tenant_id: str, customer_id: str) -> list[Order]:
    """Every order of one customer (bounded by what one buyer orders from one shop)."""
    return list(Order.customer_index.query(keys.customer_key(tenant_id, customer_id)))


def orders_by_id(tenant_id: str, order_ids: list[str]) -> dict[str, Order]:
    """The orders that exist among these ids (BatchGetItem, 100 keys a call)."""
    wanted = list(dict.fromkeys(order_ids))
    return (
        {str(o.order_id): o for o in Order.batch_get([Order.key_tuple(tenant_id, oid) for oid in wanted])}
        if wanted
        else {}
    )


def import_actions(import_id: str) -> list[Any]:
    return [Order.imported_by.set(Order.imported_by | import_id)]


def order_from_stream_image(image: dict[str, Any] | None) -> Order | None:
    """An order from a stream record's image (DynamoDB JSON)."""
    return Order.from_raw_data(image) if image else None


def apply_order_event(
    tenant_id: str,
    event: Event,
    customer_id: str | None,
    payment_window_hours: float,
    contact: Contact | None = None,
) -> Order:
    """One UpdateItem returning the merged order."""
    change = order_change(tenant_id, event, customer_id, payment_window_hours, contact)
    change.apply()
    return change.item  # type: ignore[return-value]


def order_change(
    tenant_id: str,
    event: Event,
    customer_id: str | None,
    payment_window_hours: float,
    contact: Contact | None = None,
) -> Change:
    """The UpdateItem that merges an order event into the order (not sent)."""
    assert event.order is not None
    data = event.order
    now = clock.now()
    entry = TimelineEntry(event=event.type, at=clock.to_iso(event.occurred_at), received_at=clock.to_iso(now))
    actions: list[Any] = [
        Order.platform.set(event.source),
        Order.timeline.set((Order.timeline | []).append([entry])),
        Order.updated_at.set(now),
    ]
    if data.created_at is not None:
        placed = utc(data.created_at)
        actions += [
            Order.placed_at.set(Order.placed_at | placed),
            Order.payment_due_at.set(Order.payment_due_at | placed + timedelta(hours=payment_window_hours)),
        ]
    if customer_id:
        # The first identity wins: a fulfillment echoing only an email must not re-point the order.
        actions.append(Order.customer_id.set(Order.customer_id | customer_id))
        actions.append(Order.customer_key.set(Order.customer_key | keys.customer_key(tenant_id, customer_id)))
    for attribute, value in (
        (Order.name, data.name),
        (Order.currency, data.currency),
        (Order.total_price, data.total_price),
        (Order.payment_url, data.payment_url),
        (Order.locale, data.locale),
        (Order.tracking_number, data.tracking_number),
        (Order.tracking_url, data.tracking_url),
        (Order.carrier, data.carrier),
        (Order.cart_id, data.cart_id),
    ):
        if value:
            actions.append(attribute.set(value))
    if contact is not None:
        actions += _contact_actions(contact)
    if data.line_items:
        actions.append(Order.line_items.set([item.model_dump(exclude_none=True) for item in data.line_items]))
    timestamps: tuple[tuple[Any, datetime | None], ...] = (
        (Order.paid_at, data.paid_at),
        (Order.cancelled_at, data.cancelled_at),
        (Order.refunded_at, data.refunded_at),
        (Order.shipped_at, data.shipped_at),
        (Order.delivered_at, data.delivered_at),
    )
    for attribute, moment in timestamps:
        if moment is not None:
            actions.append(attribute.set(attribute | utc(moment)))
    return Change(Order.key(tenant_id, data.order_id), actions)


def _contact_actions(contact: Contact) -> list[Any]:
    """A textable phone (a valid email) replaces the order's; one that is not is kept only while
    the order has none, so it never replaces a working contact."""
    actions: list[Any] = []

    def kept(attribute: Any, value: Any, replaces: bool) -> None:
        actions.append(attribute.set(value if replaces else attribute | value))

    if contact.phone:
        kept(Order.contact_phone, contact.phone, contact.phone_textable)
        kept(Order.contact_phone_textable, contact.phone_textable, contact.phone_textable)
        if contact.phone_timezone is not None:
            kept(Order.contact_phone_timezone, contact.phone_timezone, contact.phone_textable)
        elif contact.phone_textable:
            actions.append(Order.contact_phone_timezone.remove())
    if contact.email:
        kept(Order.contact_email, contact.email, contact.email_valid)
        kept(Order.contact_email_valid, contact.email_valid, contact.email_valid)
    return actions


def delete_orders(orders: list[Order]) -> int:
    """Delete orders (erasure): their contact, items and timeline go with them."""
    with Order.batch_write() as batch:
        for order in orders:
            batch.delete(order)
    return len(orders)
