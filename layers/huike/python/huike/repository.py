"""Data access on the PynamoDB models: every call a key read or a single conditional write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huike import clock
from huike.errors import NotFound
from huike.events import CustomerData, Event
from huike.identity import normalise_email, normalise_phone
from huike.models import Customer, Order, SendRecord, Tenant, TimelineEntry, bind_tables


def get_tenant(tenant_id: str) -> Tenant:
    bind_tables()
    try:
        return Tenant.get(tenant_id)
    except Tenant.DoesNotExist:
        raise NotFound(f"unknown tenant {tenant_id!r}") from None


def get_order(tenant_id: str, order_id: str) -> Order | None:
    bind_tables()
    try:
        return Order.get(tenant_id, order_id)
    except Order.DoesNotExist:
        return None


def get_customer(tenant_id: str, customer_id: str) -> Customer | None:
    bind_tables()
    try:
        return Customer.get(tenant_id, customer_id)
    except Customer.DoesNotExist:
        return None


def customer_key(data: CustomerData, phone_value: str | None, email_value: str | None) -> str | None:
    """Deterministic customer id from the strongest identity the event carries."""
    if data.platform_id:
        return data.platform_id
    if phone_value:
        return f"phone-{phone_value}"
    if email_value:
        return f"email-{email_value.lower()}"
    return None


def upsert_customer(tenant: Tenant, data: CustomerData) -> Customer | None:
    """One UpdateItem: profile fields are overwritten by the newest event, identities added."""
    bind_tables()
    phone = normalise_phone(data.phone, data.country or tenant.country)
    email = normalise_email(data.email)
    customer_id = customer_key(data, phone.e164 if phone else None, email.normalized if email else None)
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
    ):
        if value:
            actions.append(attribute.set(value))
    if phone:
        identities.add(f"phone:{phone.value}")
        actions += [
            Customer.phone.set(phone.value),
            Customer.phone_textable.set(phone.textable),
        ]
        if phone.timezone:
            actions.append(Customer.phone_timezone.set(phone.timezone))
    if email:
        identities.add(f"email:{email.value.lower()}")
        actions += [Customer.email.set(email.value), Customer.email_valid.set(email.valid)]
    actions.append(Customer.identities.add(identities))
    customer = Customer(tenant.tenant_id, customer_id)
    customer.update(actions=actions)
    return customer


def apply_order_event(tenant: Tenant, event: Event, customer_id: str | None, payment_window_hours: float) -> Order:
    """One UpdateItem returning the merged order.

    Status is derived from first-seen timestamps (if_not_exists), so deliveries converge to the
    same state whatever order they arrive in.
    """
    from datetime import timedelta

    bind_tables()
    assert event.order is not None
    data = event.order
    now = clock.now()
    entry = TimelineEntry(event=event.type, at=clock.to_iso(event.occurred_at), received_at=clock.to_iso(now))
    actions: list[Any] = [
        Order.platform.set(event.source),
        Order.name.set(data.name),
        Order.placed_at.set(Order.placed_at | _utc(data.created_at)),
        Order.payment_due_at.set(Order.payment_due_at | _utc(data.created_at) + timedelta(hours=payment_window_hours)),
        Order.timeline.set((Order.timeline | []).append([entry])),
        Order.updated_at.set(now),
    ]
    for attribute, value in (
        (Order.customer_id, customer_id),
        (Order.currency, data.currency),
        (Order.total_price, data.total_price),
        (Order.payment_url, data.payment_url),
        (Order.locale, data.locale),
    ):
        if value:
            actions.append(attribute.set(value))
    if data.paid_at is not None:
        actions.append(Order.paid_at.set(Order.paid_at | _utc(data.paid_at)))
    if data.cancelled_at is not None:
        actions.append(Order.cancelled_at.set(Order.cancelled_at | _utc(data.cancelled_at)))
    order = Order(tenant.tenant_id, data.order_id)
    order.update(actions=actions)
    return order


def _utc(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


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


def mark_sent(record: SendRecord, message_id: str, body: str, sent_at: datetime) -> None:
    record.update(
        actions=[
            SendRecord.status.set("sent"),
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
) -> Tenant:
    """Create a tenant; only a hash of the API key is stored."""
    import hashlib

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
        created_at=clock.now(),
    )
    tenant.save(condition=Tenant.tenant_id.does_not_exist())
    return tenant
