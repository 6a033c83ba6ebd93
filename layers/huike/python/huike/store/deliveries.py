"""One webhook delivery's writes, committed together.

Access pattern:
  customer update + consent ledger puts + identity claims + order or cart update
                                                                  TransactWriteItems (all or none)
  one item alone (an order event without a buyer, a customer.updated without consent)  UpdateItem
  an import chunk's customers, several rows' items together (TransactionBatch)
                                                  TransactWriteItems of up to 100 items each

A delivery that fails leaves nothing it began: the platform's retry (Powertools has deleted its
in-progress record) applies the whole event again, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huike.store.base import Change, dynamodb_connection, get_or_none
from huike.store.carts import Cart
from huike.store.customers import Customer, ProfileChange
from huike.store.orders import Order


@dataclass
class Written:
    """What the delivery stored: the customer (None when the event names nobody; its fields when
    `read_customer` or a consent statement made them known), the merged order and cart."""

    customer_id: str | None = None
    customer: Customer | None = None
    order: Order | None = None
    cart: Cart | None = None


def write_delivery(
    profile: ProfileChange | None,
    order: Change | None = None,
    cart: Change | None = None,
    read_customer: bool = False,
) -> Written:
    """Write a delivery's items in one TransactWriteItems (a single UpdateItem when there is only
    one). A transaction returns no item: the order and cart are read back (strongly consistent);
    the customer when the caller needs more than its id and its state was not read first."""
    updates = [change for change in (profile.change if profile else None, order, cart) if change is not None]
    updates += profile.claims if profile else []
    entries = profile.entries if profile else []
    written = Written(customer_id=profile.customer_id if profile else None)
    if len(updates) == 1 and not entries:
        item = updates[0].apply()  # ALL_NEW: the item as stored
        written.customer = item if isinstance(item, Customer) else None
        written.order = item if isinstance(item, Order) else None
        written.cart = item if isinstance(item, Cart) else None
        return written
    _transact(updates, entries)
    if profile is not None:
        written.customer = profile.after
        if written.customer is None and read_customer:
            key: Customer = profile.change.item  # type: ignore[assignment]
            written.customer = get_or_none(Customer, key.tenant_shard, key.customer_id, consistent_read=True)
    if order is not None:
        order_key: Order = order.item  # type: ignore[assignment]
        written.order = get_or_none(Order, order_key.tenant_shard, order_key.order_id, consistent_read=True)
    if cart is not None:
        cart_key: Cart = cart.item  # type: ignore[assignment]
        written.cart = get_or_none(Cart, cart_key.tenant_shard, cart_key.cart_id, consistent_read=True)
    return written


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit of items in one TransactWriteItems


class TransactionBatch:
    """Many customers' planned changes (an import chunk's rows) in as few TransactWriteItems as
    DynamoDB allows: at most 100 items, and no item twice in one transaction. One row's items
    always commit together. A failed transaction raises; what the batch sent before it stays
    written, and every write is safe to repeat (the chunk's retry). A caller flushes before
    reading again a customer it has added."""

    def __init__(self) -> None:
        self._pending: list[ProfileChange] = []
        self._keys: set[tuple[str, Any, Any]] = set()

    def add(self, planned: ProfileChange) -> None:
        keys = {_item_key(change.item) for change in (planned.change, *planned.claims)}
        keys |= {_item_key(entry) for entry in planned.entries}
        if len(self._keys) + len(keys) > MAX_TRANSACTION_ITEMS or self._keys & keys:
            self.flush()
        self._pending.append(planned)
        self._keys |= keys

    def flush(self) -> None:
        if not self._pending:
            return
        updates = [change for planned in self._pending for change in (planned.change, *planned.claims)]
        _transact(updates, [entry for planned in self._pending for entry in planned.entries])
        self._pending, self._keys = [], set()


def _transact(updates: list[Change], entries: list[Any]) -> None:
    """One TransactWriteItems: these updates and these new items, all or none."""
    from pynamodb.transactions import TransactWrite

    with TransactWrite(connection=dynamodb_connection()) as transaction:
        for change in updates:
            transaction.update(change.item, actions=change.actions)
        for entry in entries:
            transaction.save(entry)


def _item_key(item: Any) -> tuple[str, Any, Any]:
    model = type(item)
    range_key = model._range_key_attribute()
    hash_value = getattr(item, model._hash_key_attribute().attr_name)
    return model.__name__, hash_value, getattr(item, range_key.attr_name) if range_key else None
