"""Webhook ingestion: verify, map to a canonical event, apply it exactly once."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from huike import repository, signatures
from huike.errors import BadRequest, Unauthorized
from huike.events import Event
from huike.flows import unpaid_reminder
from huike.flows.config import flow_settings
from huike.models import Tenant


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def receive_shopify(
    tenant_id: str, headers: Mapping[str, str], raw_body: bytes, lambda_context: Any = None
) -> dict[str, Any]:
    """Verify and apply one Shopify delivery. Raises NotFound / Unauthorized / BadRequest."""
    from huike.platforms import shopify

    tenant = repository.get_tenant(tenant_id)
    secret = (tenant.webhook_secrets or {}).get("shopify", "")
    if not signatures.verify_base64_hmac(secret, raw_body, _header(headers, "X-Shopify-Hmac-Sha256")):
        raise Unauthorized("invalid X-Shopify-Hmac-Sha256 signature")
    topic = _header(headers, "X-Shopify-Topic")
    webhook_id = _header(headers, "X-Shopify-Webhook-Id")
    if not topic:
        raise BadRequest("missing X-Shopify-Topic header")
    if not webhook_id:
        raise BadRequest("missing X-Shopify-Webhook-Id header")
    payload = _json(raw_body)
    triggered_at = _optional_time(_header(headers, "X-Shopify-Triggered-At"))
    event = shopify.to_event(topic, webhook_id, triggered_at, payload)
    if event is None:
        return {"status": "ignored", "reason": f"topic {topic!r} is not used by Huike"}
    config, apply_once = _idempotency()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    return apply_once(delivery={"key": f"{tenant_id}:shopify:{webhook_id}", "tenant": tenant, "event": event})


def apply_event(tenant: Tenant, event: Event) -> dict[str, Any]:
    """Store what the event says about the customer and order; start the flows it triggers."""
    customer = repository.upsert_customer(tenant, event.customer) if event.customer else None
    result: dict[str, Any] = {"status": "accepted", "event": event.type}
    if event.order is not None:
        window = float(flow_settings(tenant.flows, unpaid_reminder.FLOW)["payment_window_hours"])
        order = repository.apply_order_event(tenant, event, customer.customer_id if customer else None, window)
        result["order_status"] = order.status
        if event.type == "order.created":
            result["flows_scheduled"] = ["unpaid_reminder"] if unpaid_reminder.start(tenant, order) else []
    return result


@functools.cache
def _idempotency() -> tuple[Any, Callable[..., dict[str, Any]]]:
    """apply_event behind Powertools Idempotency, keyed on the platform's delivery id."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from huike.adapters.aws import client
    from huike.settings import settings

    persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=client("dynamodb"))
    config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=7 * 24 * 3600)

    @idempotent_function(data_keyword_argument="delivery", persistence_store=persistence, config=config)
    def apply(delivery: dict[str, Any]) -> dict[str, Any]:
        return apply_event(delivery["tenant"], delivery["event"])

    return config, apply


def _json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None


def _optional_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"X-Shopify-Triggered-At is not an ISO-8601 time: {text!r}") from None
