"""Carts (checkouts).

Access patterns:
  get / merge by (tenant_id, cart_id)     GetItem / UpdateItem  PK tenant_shard (keys.tenant_shard of
                                          the cart id), SK cart_id

A cart expires from the table (DynamoDB TTL on `expires_at`) CART_RETENTION after its last update.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from huike.core.events import CartData
from huike.store.base import BoundTable, Change, TenantSharded, get_sharded, register, utc

CART_RETENTION = timedelta(days=60)


@register
class Cart(TenantSharded, Model):
    class Meta(metaclass=BoundTable):
        table_setting = "carts_table"

    tenant_shard = UnicodeAttribute(hash_key=True)
    cart_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    recovery_url = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    total_price = UnicodeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    line_items = JSONAttribute(null=True)
    expires_at = TTLAttribute(null=True)


def upsert_cart(tenant_id: str, data: CartData, customer_id: str | None) -> Cart:
    """Latest cart state wins; each update pushes the expiry back. One UpdateItem."""
    change = cart_change(tenant_id, data, customer_id)
    change.apply()
    return change.item  # type: ignore[return-value]


def cart_change(tenant_id: str, data: CartData, customer_id: str | None) -> Change:
    """The UpdateItem that merges a cart event into the cart (not sent)."""
    updated_at = utc(data.updated_at)
    actions: list[Any] = [Cart.updated_at.set(updated_at), Cart.expires_at.set(updated_at + CART_RETENTION)]
    for attribute, value in (
        (Cart.customer_id, customer_id),
        (Cart.recovery_url, data.recovery_url),
        (Cart.currency, data.currency),
        (Cart.total_price, data.total_price),
    ):
        if value:
            actions.append(attribute.set(value))
    if data.completed_at is not None:
        actions.append(Cart.completed_at.set(utc(data.completed_at)))
    if data.line_items:
        actions.append(Cart.line_items.set([item.model_dump(exclude_none=True) for item in data.line_items]))
    return Change(Cart.key(tenant_id, data.cart_id), actions)


def get_cart(tenant_id: str, cart_id: str) -> Cart | None:
    return get_sharded(Cart, tenant_id, cart_id)
