"""Webhook ingestion: verify, map to a canonical event, apply it exactly once.

The webhook path only records what the event says (the customer with its consent ledger entries,
and the order or cart: one TransactWriteItems, or one UpdateItem when there is a single item) and
starts the flows that begin with the event itself (cart, browse, birthday). What an order's
change means (notices, stats, order flows) is decided from the orders table stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from huike.config.tenant import TenantConfig
from huike.core import clock, keys
from huike.core.caches import process_cache
from huike.core.enums import FlowName
from huike.core.errors import BadRequest, Unauthorized
from huike.core.events import EARLIEST, LATEST, Event
from huike.ingest import signatures
from huike.store import carts as cart_store
from huike.store import orders as order_store
from huike.store.deliveries import write_delivery
from huike.store.tenants import cached_tenant, get_tenant


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _required_header(headers: Mapping[str, str], name: str) -> str:
    value = _header(headers, name)
    if not value or not value.strip():
        raise BadRequest(f"missing {name} header")
    return value.strip()


def _signed_by(tenant_id: str, verifies: Callable[[TenantConfig], bool]) -> TenantConfig | None:
    """The tenant whose secret verifies the delivery: the cached tenant, else (a secret rotated
    since it was cached) the tenant read again; None when neither does."""
    tenant = cached_tenant(tenant_id)
    if verifies(tenant):
        return tenant
    tenant = get_tenant(tenant_id)
    return tenant if verifies(tenant) else None


def receive_shopify(
    tenant_id: str, headers: Mapping[str, str], raw_body: bytes, lambda_context: Any = None
) -> dict[str, Any]:
    """Verify and apply one Shopify delivery. Raises NotFound / Unauthorized / BadRequest."""
    from huike.ingest.platforms import shopify

    signature = _header(headers, "X-Shopify-Hmac-Sha256")
    tenant = _signed_by(tenant_id, lambda t: signatures.verify_base64_hmac(t.secret("shopify"), raw_body, signature))
    if tenant is None:
        raise Unauthorized("invalid X-Shopify-Hmac-Sha256 signature")
    topic = _required_header(headers, "X-Shopify-Topic")
    webhook_id = _required_header(headers, "X-Shopify-Webhook-Id")
    payload = _json(raw_body)
    triggered_at = _optional_time(_header(headers, "X-Shopify-Triggered-At"), "X-Shopify-Triggered-At")
    with _as_bad_request("Shopify delivery"):
        event = shopify.to_event(topic, webhook_id, triggered_at, payload)
    if event is None:
        return {"status": "ignored", "reason": f"topic {topic!r} is not used by Huike"}
    return _apply_once(tenant, keys.delivery_key(tenant_id, "shopify", webhook_id), event, lambda_context)


def receive_woocommerce(
    tenant_id: str, headers: Mapping[str, str], raw_body: bytes, lambda_context: Any = None
) -> dict[str, Any]:
    from huike.ingest.platforms import woocommerce

    cached_tenant(tenant_id)  # NotFound for an unknown tenant, even for a ping
    if woocommerce.is_ping(raw_body):  # sent when a webhook is saved, possibly unsigned; stores nothing
        return {"status": "ignored", "reason": "webhook ping"}
    signature = _header(headers, "X-WC-Webhook-Signature")
    tenant = _signed_by(
        tenant_id, lambda t: signatures.verify_base64_hmac(t.secret("woocommerce"), raw_body, signature)
    )
    if tenant is None:
        raise Unauthorized("invalid X-WC-Webhook-Signature signature")
    topic = _required_header(headers, "X-WC-Webhook-Topic")
    delivery_id = _required_header(headers, "X-WC-Webhook-Delivery-ID")
    with _as_bad_request("WooCommerce delivery"):
        event = woocommerce.to_event(topic, delivery_id, _json(raw_body))
    if event is None:
        return {"status": "ignored", "reason": f"topic {topic!r} with this status is not used by Huike"}
    return _apply_once(tenant, keys.delivery_key(tenant_id, "woocommerce", delivery_id), event, lambda_context)


def receive_canonical(
    tenant_id: str, headers: Mapping[str, str], raw_body: bytes, lambda_context: Any = None
) -> dict[str, Any]:
    from huike.ingest.platforms import canonical

    signature, now = _header(headers, "Huike-Signature"), clock.now().timestamp()
    tenant = _signed_by(tenant_id, lambda t: signatures.verify_canonical(t.secret("events"), raw_body, signature, now))
    if tenant is None:
        raise Unauthorized("invalid or expired Huike-Signature (t=<unix>,v1=<hex>, 300 s tolerance)")
    event = canonical.to_event(_json(raw_body))
    return _apply_once(tenant, keys.delivery_key(tenant_id, "events", event.id), event, lambda_context)


def apply_event(tenant: TenantConfig, event: Event) -> dict[str, Any]:
    """Store what the event says, in one transaction; then start the flows the event itself begins
    (idempotent by execution name, so a retried delivery starts nothing twice)."""
    from huike.customers.profile import customer_change, order_contact
    from huike.flows import customers as customer_flows

    result: dict[str, Any] = {"status": "accepted", "event": event.type}
    buyer = event.customer if event.customer is not None and _identifies_customer(event) else None
    profile = customer_change(tenant, buyer, event.source, _marketing_reservation(tenant, event)) if buyer else None
    customer_id = profile.customer_id if profile else None
    order_change = None
    if event.order is not None:
        window = tenant.flows.unpaid_reminder.payment_window_hours
        contact = order_contact(tenant, event.order, buyer)
        order_change = order_store.order_change(tenant.tenant_id, event, customer_id, window, contact)
    cart_change = cart_store.cart_change(tenant.tenant_id, event.cart, customer_id) if event.cart else None
    birthday = profile is not None and buyer is not None and buyer.birthday is not None
    written = write_delivery(profile, order_change, cart_change, read_customer=birthday)
    if buyer is not None and buyer.consents and profile is not None:
        result["consents_recorded"] = len(buyer.consents)
    if written.order is not None:
        result["order_status"] = written.order.status
    cart = written.cart
    if cart is not None and customer_id is not None and cart.completed_at is None:
        customer_flows.start_cart_abandonment(tenant, cart.cart_id, customer_id, cart.updated_at, reserve=False)
        result["flows_scheduled"] = [FlowName.CART_ABANDONMENT]
    if event.type == "product.viewed" and event.product is not None and customer_id is not None:
        product = event.product.model_dump(exclude_none=True)
        customer_flows.start_browse_abandonment(tenant, customer_id, product, event.occurred_at, reserve=False)
        result["flows_scheduled"] = [FlowName.BROWSE_ABANDONMENT]
    if birthday and written.customer is not None:
        customer_flows.start_birthday(tenant, written.customer)
    return result


# Sources whose every delivery carries the whole order, billing block included: its buyer is
# always the order's buyer (a WooCommerce guest order first seen at "completed" still has one).
WHOLE_ORDER_SOURCES = {"woocommerce"}


def _identifies_customer(event: Event) -> bool:
    """Fulfillment and refund notifications often echo only an email or address: they must not
    create a second profile beside the one the order was placed with."""
    if event.source in WHOLE_ORDER_SOURCES:
        return True
    later_order_event = event.type in ("order.shipped", "order.delivered", "order.cancelled", "order.refunded")
    return not (later_order_event and event.customer is not None and not event.customer.platform_id)


def _marketing_reservation(tenant: TenantConfig, event: Event) -> tuple[str, datetime] | None:
    """A cart's pending send is noted on the customer in the customer's own write. (Browse is
    not: its subject needs the customer id, known only after the write; it is lowest priority.)"""
    if event.type == "cart.updated" and event.cart is not None:
        from huike.flows.customers import cart_due

        key = keys.reservation_key(FlowName.CART_ABANDONMENT, event.cart.cart_id)
        return key, cart_due(tenant, event.cart.updated_at)
    return None


def _apply_once(tenant: TenantConfig, key: str, event: Event, lambda_context: Any) -> dict[str, Any]:
    config, apply_once = _idempotency()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    return apply_once(delivery={"key": key, "tenant": tenant, "event": event})


@process_cache
def _idempotency() -> tuple[Any, Callable[..., dict[str, Any]]]:
    """apply_event behind Powertools Idempotency, keyed on the platform's delivery id."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from huike.aws.clients import client
    from huike.config.env import environment

    table = environment().idempotency_table
    if not table:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set: webhooks apply each delivery once through it")
    persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=client("dynamodb"))
    config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=7 * 24 * 3600)

    @idempotent_function(data_keyword_argument="delivery", persistence_store=persistence, config=config)
    def apply(delivery: dict[str, Any]) -> dict[str, Any]:
        return apply_event(delivery["tenant"], delivery["event"])

    return config, apply


@contextmanager
def _as_bad_request(what: str) -> Iterator[None]:
    """A platform body that maps onto an event outside Huike's limits is the sender's error (400)."""
    from pydantic import ValidationError

    from huike.ingest.platforms import describe

    try:
        yield
    except ValidationError as exc:
        raise BadRequest(describe(exc, what)) from None


def _json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except RecursionError:
        raise BadRequest("body is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of thousands of digits
        raise BadRequest(f"body is not valid JSON: {exc}") from None


def _optional_time(text: str | None, header: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{header} is not an ISO-8601 time: {text!r}") from None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise BadRequest(f"{header} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}: {text!r}")
    return moment
