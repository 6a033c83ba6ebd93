"""Data access on the PynamoDB models: every call a key read, an index query or a single
(conditional) write. No Scan anywhere."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from huike.core import clock
from huike.core.caches import process_cache
from huike.core.errors import NotFound
from huike.core.events import CartData, ConsentData, CustomerData, Event
from huike.customers.identity import normalise_email, normalise_phone
from huike.store.models import (
    Cart,
    ConsentEntry,
    Customer,
    Order,
    PendingSend,
    SendRecord,
    Suppression,
    Tenant,
    TimelineEntry,
    bind_tables,
)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- tenants ------------------------------------------------------------------------------
def get_tenant(tenant_id: str) -> Tenant:
    bind_tables()
    try:
        return Tenant.get(tenant_id)
    except Tenant.DoesNotExist:
        raise NotFound(f"unknown tenant {tenant_id!r}") from None


def tenant_by_sms_number(number: str) -> Tenant | None:
    bind_tables()
    return next(iter(Tenant.sms_number_index.query(number, limit=1)), None)


def create_tenant(
    tenant_id: str,
    *,
    name: str,
    api_key: str,
    webhook_secrets: dict[str, str],
    timezone: str = "UTC",
    country: str = "US",
    locale: str = "en",
    flows: dict[str, Any] | None = None,
    sender_email: str | None = None,
    sms_number: str | None = None,
    quiet_hours: dict[str, Any] | None = None,
) -> Tenant:
    """Create a tenant; only a hash of the API key is stored."""
    bind_tables()
    tenant = Tenant(
        tenant_id,
        name=name,
        api_key_hash=hashlib.sha256(api_key.encode()).hexdigest(),
        webhook_secrets=webhook_secrets,
        timezone=timezone,
        country=country,
        locale=locale,
        flows=flows or {},
        sender_email=sender_email,
        sms_number=sms_number,
        quiet_hours=quiet_hours or {},
        created_at=clock.now(),
    )
    tenant.save(condition=Tenant.tenant_id.does_not_exist())
    return tenant


# -- customers ----------------------------------------------------------------------------
def get_customer(tenant_id: str, customer_id: str) -> Customer | None:
    bind_tables()
    try:
        return Customer.get(tenant_id, customer_id)
    except Customer.DoesNotExist:
        return None


def customer_key(tenant_id: str, data: CustomerData, phone_value: str | None, email_value: str | None) -> str | None:
    """The customer an event is about: its platform id, else the customer already known by the
    phone or email (merge), else a new id derived from them."""
    if data.platform_id:
        return data.platform_id
    for index, value in ((Customer.phone_index, phone_value), (Customer.email_index, email_value)):
        if value:
            known = next(iter(index.query(value, Customer.tenant_id == tenant_id, limit=1)), None)
            if known is not None:
                return str(known.customer_id)
    if phone_value:
        return f"phone-{phone_value}"
    if email_value:
        return f"email-{email_value.lower()}"
    return None


def upsert_customer(
    tenant: Tenant, data: CustomerData, source: str = "events", extra_actions: list[Any] | None = None
) -> Customer | None:
    """One write: profile fields are overwritten by the newest event and identities added. Consent
    statements set the current marketing consent per channel and are appended to the consent
    ledger in the same TransactWriteItems, so state and history cannot disagree."""
    bind_tables()
    phone = normalise_phone(data.phone, data.country or tenant.country)
    email = normalise_email(data.email)
    customer_id = customer_key(
        tenant.tenant_id, data, phone.e164 if phone else None, email.normalized if email else None
    )
    if customer_id is None:
        return None
    now = clock.now()
    identities = {f"id:{customer_id}"}
    actions: list[Any] = [
        Customer.created_at.set(Customer.created_at | now),
        Customer.updated_at.set(now),
    ]
    for attribute, value in (
        (Customer.first_name, data.first_name),
        (Customer.last_name, data.last_name),
        (Customer.locale, data.locale),
        (Customer.timezone, data.timezone),
        (Customer.country, data.country),
        (Customer.birthday, data.birthday.isoformat() if data.birthday else None),
    ):
        if value:
            actions.append(attribute.set(value))
    if phone:
        identities.add(f"phone:{phone.value}")
        actions += [Customer.phone.set(phone.value), Customer.phone_textable.set(phone.textable)]
        if phone.timezone:
            actions.append(Customer.phone_timezone.set(phone.timezone))
    if email:
        identities.add(f"email:{email.value.lower()}")
        actions += [Customer.email.set(email.value), Customer.email_valid.set(email.valid)]
    consent_attributes = {"sms": Customer.sms_consent, "mms": Customer.mms_consent, "email": Customer.email_consent}
    for consent in _newer_than_known(tenant.tenant_id, customer_id, data.consents):
        at = clock.to_iso(_utc(consent.at)) if consent.at else clock.to_iso(now)
        state = {"granted": consent.granted, "at": at, "source": source}
        actions.append(consent_attributes[consent.channel].set(state))
    actions.append(Customer.identities.add(identities))
    actions += extra_actions or []
    customer = Customer(tenant.tenant_id, customer_id)
    if not data.consents:
        customer.update(actions=actions)
        return customer
    from pynamodb.transactions import TransactWrite

    address = phone.value if phone else (email.value if email else None)
    with TransactWrite(connection=transaction_connection()) as transaction:
        transaction.update(customer, actions=actions)
        for entry in consent_entries(tenant.tenant_id, customer_id, address, data.consents, source):
            transaction.save(entry)
    # A transaction returns no item: keep what this write set, for the caller's decisions.
    customer.phone = phone.value if phone else None
    customer.phone_textable = phone.textable if phone else None
    customer.phone_timezone = phone.timezone if phone else None
    customer.email = email.value if email else None
    customer.timezone, customer.birthday = data.timezone, data.birthday.isoformat() if data.birthday else None
    return customer


@process_cache
def transaction_connection() -> Any:
    """One PynamoDB connection (and botocore client) per container for transactions."""
    from pynamodb.connection import Connection

    from huike.config.env import settings

    return Connection(region=settings().region)


def _newer_than_known(tenant_id: str, customer_id: str, consents: list[ConsentData]) -> list[ConsentData]:
    """Statements that may change the current consent: not older than the one already held.
    (All of them still go to the ledger; a late, stale statement must not undo a withdrawal.)"""
    if not consents:
        return []
    known = get_customer(tenant_id, customer_id)
    if known is None:
        return consents
    current = {"sms": known.sms_consent, "mms": known.mms_consent, "email": known.email_consent}
    newer = []
    for consent in consents:
        held = current.get(consent.channel)
        at = _utc(consent.at) if consent.at else clock.now()
        if not held or at >= clock.parse_iso(held["at"]):
            newer.append(consent)
    return newer


def record_paid_order(tenant_id: str, customer_id: str, order: Order) -> Customer:
    """Order stats, maintained incrementally when an order is first seen paid."""
    from decimal import Decimal, InvalidOperation

    bind_tables()
    placed = order.placed_at or order.paid_at or clock.now()
    try:
        amount = float(Decimal(order.total_price or "0"))
    except InvalidOperation:
        amount = 0.0
    customer = Customer(tenant_id, customer_id)
    customer.update(
        actions=[
            Customer.order_count.add(1),
            Customer.total_spent.add(amount),
            Customer.first_order_at.set(Customer.first_order_at | placed),
            Customer.last_order_at.set(placed),
            Customer.last_order_id.set(order.order_id),
        ]
    )
    return customer


def reserve_marketing(tenant_id: str, customer_id: str, key: str, due: datetime) -> None:
    """Note a scheduled marketing send, so a lower-priority flow can yield to it under caps."""
    bind_tables()
    Customer(tenant_id, customer_id).update(actions=[reservation_action(key, due)])


def reservation_action(key: str, due: datetime) -> Any:
    entry = PendingSend(key=key, due=clock.to_iso(due))
    return Customer.marketing_pending.set((Customer.marketing_pending | []).append([entry]))


def note_marketing_send(customer: Customer, channel: str, flow: str, key: str, at: datetime) -> None:
    """Keep the last 7 days of marketing sends on the customer and release the reservation."""
    horizon = at - timedelta(days=7)
    recent = [s for s in (customer.marketing_sends or []) if clock.parse_iso(s["at"]) > horizon]
    recent.append({"at": clock.to_iso(at), "channel": channel, "flow": flow})
    pending = [
        entry for entry in customer.marketing_pending or [] if entry.key != key and clock.parse_iso(entry.due) > horizon
    ]
    customer.update(actions=[Customer.marketing_sends.set(recent), Customer.marketing_pending.set(pending)])


def release_marketing(customer: Customer, key: str) -> None:
    pending = customer.marketing_pending or []
    if any(entry.key == key for entry in pending):
        customer.update(actions=[Customer.marketing_pending.set([e for e in pending if e.key != key])])


# -- consent ledger and suppressions -------------------------------------------------------
def record_consents(
    tenant_id: str,
    customer_id: str | None,
    address: str | None,
    consents: list[ConsentData],
    source: str,
) -> None:
    """Append consent statements to the ledger (one BatchWriteItem)."""
    bind_tables()
    with ConsentEntry.batch_write() as batch:
        for entry in consent_entries(tenant_id, customer_id, address, consents, source):
            batch.save(entry)


def consent_entries(
    tenant_id: str, customer_id: str | None, address: str | None, consents: list[ConsentData], source: str
) -> list[ConsentEntry]:
    now = clock.now()
    subject = customer_id or f"address-{address}"
    entries = []
    for consent in consents:
        at = _utc(consent.at) if consent.at else now
        entries.append(
            ConsentEntry(
                tenant_id,
                # A statement is never overwritten, even by another in the same second.
                f"{subject}#{clock.to_iso(at)}#{consent.channel}#{uuid.uuid4().hex[:12]}",
                customer_id=customer_id,
                address=address,
                channel=consent.channel,
                purpose="marketing",
                granted=consent.granted,
                at=at,
                recorded_at=now,
                source=source,
                wording=consent.wording,
                proof=consent.proof or None,
            )
        )
    return entries


def consent_history(tenant_id: str, customer_id: str) -> list[ConsentEntry]:
    bind_tables()
    return list(ConsentEntry.query(tenant_id, ConsentEntry.entry_id.startswith(f"{customer_id}#")))


def get_suppression(tenant_id: str, address: str) -> Suppression | None:
    bind_tables()
    try:
        return Suppression.get(tenant_id, address.lower())
    except Suppression.DoesNotExist:
        return None


def suppress(tenant_id: str, address: str, reason: str, source: str, detail: str | None = None) -> None:
    bind_tables()
    Suppression(tenant_id, address.lower(), reason=reason, source=source, at=clock.now(), detail=detail).save()


def unsuppress(tenant_id: str, address: str) -> None:
    bind_tables()
    Suppression(tenant_id, address.lower()).delete()


# -- orders and carts ---------------------------------------------------------------------
def get_order(tenant_id: str, order_id: str) -> Order | None:
    bind_tables()
    try:
        return Order.get(tenant_id, order_id)
    except Order.DoesNotExist:
        return None


def apply_order_event(tenant: Tenant, event: Event, customer_id: str | None, payment_window_hours: float) -> Order:
    """One UpdateItem returning the merged order.

    Status is derived from first-seen timestamps (if_not_exists), so deliveries converge to the
    same state whatever order they arrive in.
    """
    bind_tables()
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
        placed = _utc(data.created_at)
        actions += [
            Order.placed_at.set(Order.placed_at | placed),
            Order.payment_due_at.set(Order.payment_due_at | placed + timedelta(hours=payment_window_hours)),
        ]
    if customer_id:
        # The first identity wins: a fulfillment echoing only an email must not re-point the order.
        actions.append(Order.customer_id.set(Order.customer_id | customer_id))
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
            actions.append(attribute.set(attribute | _utc(moment)))
    order = Order(tenant.tenant_id, data.order_id)
    order.update(actions=actions)
    return order


def upsert_cart(tenant: Tenant, data: CartData, customer_id: str | None) -> Cart:
    """Latest cart state wins; a cart expires from the table 60 days after its last update."""
    bind_tables()
    actions: list[Any] = [Cart.updated_at.set(_utc(data.updated_at))]
    for attribute, value in (
        (Cart.customer_id, customer_id),
        (Cart.recovery_url, data.recovery_url),
        (Cart.currency, data.currency),
        (Cart.total_price, data.total_price),
    ):
        if value:
            actions.append(attribute.set(value))
    if data.completed_at is not None:
        actions.append(Cart.completed_at.set(_utc(data.completed_at)))
    if data.line_items:
        actions.append(Cart.line_items.set([item.model_dump(exclude_none=True) for item in data.line_items]))
    cart = Cart(tenant.tenant_id, data.cart_id)
    cart.update(actions=actions)
    return cart


def get_cart(tenant_id: str, cart_id: str) -> Cart | None:
    bind_tables()
    try:
        return Cart.get(tenant_id, cart_id)
    except Cart.DoesNotExist:
        return None


# -- send ledger ---------------------------------------------------------------------------
def send_record(tenant_id: str, send_key: str) -> SendRecord | None:
    bind_tables()
    try:
        return SendRecord.get(tenant_id, send_key)
    except SendRecord.DoesNotExist:
        return None


def claim_send(record: SendRecord) -> bool:
    """Write a ledger decision unless the key was already decided for good.

    A key can be re-decided only while it is deferred or failed with a definite error; any other
    record (sending, sent, skipped) wins, which is what makes a business key send at most once.
    """
    from pynamodb.exceptions import PutError

    bind_tables()
    condition = SendRecord.send_key.does_not_exist() | SendRecord.status.is_in("deferred", "failed")
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
            SendRecord.status.set("sent"),
            SendRecord.channel.set(channel),
            SendRecord.recipient.set(recipient),
            SendRecord.message_id.set(message_id),
            SendRecord.body.set(body),
            SendRecord.sent_at.set(sent_at),
        ]
    )


def mark_failed(record: SendRecord, reason: str) -> None:
    record.update(actions=[SendRecord.status.set("failed"), SendRecord.reason.set(reason)])


def sends_by_message_id(message_id: str) -> list[SendRecord]:
    bind_tables()
    return list(SendRecord.message_id_index.query(message_id))


def sends_for(tenant_id: str, key_prefix: str) -> list[SendRecord]:
    """Ledger records whose business key starts with a prefix (e.g. one flow for one customer)."""
    bind_tables()
    return list(SendRecord.query(tenant_id, SendRecord.send_key.startswith(key_prefix)))


def set_consent(customer: Customer, consent: ConsentData, source: str) -> None:
    """Set the current marketing consent for one channel (the ledger entry is written apart)."""
    attribute = {"sms": Customer.sms_consent, "mms": Customer.mms_consent, "email": Customer.email_consent}[
        consent.channel
    ]
    at = clock.to_iso(_utc(consent.at)) if consent.at else clock.to_iso(clock.now())
    customer.update(actions=[attribute.set({"granted": consent.granted, "at": at, "source": source})])
