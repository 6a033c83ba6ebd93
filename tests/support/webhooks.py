"""Signed webhook clients: each posts through the local runtime's API Gateway (runtime.api) the
way its platform does, raw JSON body and signature header over those exact bytes.

The header builders are plain functions, so a test that drives `make local` over HTTP, or builds
a delivery by hand to break one header, sends the same headers.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

from tests.support.signing import base64_hmac, canonical_header

if TYPE_CHECKING:  # the local runtime (and moto) only where a runtime exists
    from infra.local.runtime import ApiResponse, LocalRuntime, TenantCredentials

SHOPIFY_SHOP_DOMAIN = "demo-store.myshopify.com"
SHOPIFY_API_VERSION = "2025-10"
WOOCOMMERCE_SOURCE = "https://shop.example.com/"
WOOCOMMERCE_USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"

_delivery_ids = itertools.count(1)


def shopify_headers(secret: str, topic: str, body: bytes, *, webhook_id: str, triggered_at: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64_hmac(secret, body),
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Triggered-At": triggered_at,
        "X-Shopify-Shop-Domain": SHOPIFY_SHOP_DOMAIN,
        "X-Shopify-API-Version": SHOPIFY_API_VERSION,
    }


def woocommerce_headers(secret: str, topic: str, body: bytes, *, delivery_id: str) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": WOOCOMMERCE_USER_AGENT,
        "X-WC-Webhook-Source": WOOCOMMERCE_SOURCE,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": delivery_id,
        "X-WC-Webhook-Signature": base64_hmac(secret, body),
    }


def canonical_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "Huike-Signature": canonical_header(secret, body, timestamp)}


def _body(payload: Any, raw_body: bytes | None) -> bytes:
    return raw_body if raw_body is not None else json.dumps(payload).encode()


class _Client:
    source = ""  # the webhook path's platform segment

    def __init__(self, runtime: LocalRuntime, tenant: TenantCredentials) -> None:
        self.runtime = runtime
        self.tenant = tenant

    def _post(self, headers: dict[str, str], body: bytes, tenant_id: str | None) -> ApiResponse:
        return self.runtime.api("POST", f"/webhooks/{self.source}/{tenant_id or self.tenant.tenant_id}", headers, body)


class ShopifyWebhooks(_Client):
    """Posts Shopify deliveries the way Shopify does: raw JSON body, base64 HMAC header."""

    source = "shopify"

    def post(
        self,
        topic: str,
        payload: Any = None,
        *,
        webhook_id: str | None = None,
        secret: str | None = None,
        raw_body: bytes | None = None,
        tenant_id: str | None = None,
    ) -> ApiResponse:
        body = _body(payload, raw_body)
        headers = shopify_headers(
            secret if secret is not None else self.tenant.webhook_secrets["shopify"],
            topic,
            body,
            webhook_id=webhook_id or f"b54557e4-bdd9-4b37-8a5f-{next(_delivery_ids):012d}",
            triggered_at=self.runtime.clock.now().isoformat(),
        )
        return self._post(headers, body, tenant_id)


class WooCommerceWebhooks(_Client):
    """Posts WooCommerce deliveries the way WooCommerce's Hookshot does: raw JSON body, base64
    HMAC in X-WC-Webhook-Signature, a delivery id per attempt."""

    source = "woocommerce"

    def post(
        self,
        topic: str,
        payload: Any = None,
        *,
        delivery_id: str | None = None,
        secret: str | None = None,
        raw_body: bytes | None = None,
        tenant_id: str | None = None,
    ) -> ApiResponse:
        body = _body(payload, raw_body)
        headers = woocommerce_headers(
            secret if secret is not None else self.tenant.webhook_secrets["woocommerce"],
            topic,
            body,
            delivery_id=delivery_id or f"wc-{next(_delivery_ids)}",
        )
        return self._post(headers, body, tenant_id)


class CanonicalEvents(_Client):
    """Posts Huike canonical events the way an adapter does: raw JSON body, Huike-Signature signed
    at the runtime's virtual-clock time (or at `timestamp`, to test the 300 s tolerance)."""

    source = "events"

    def post(
        self,
        event: Any = None,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        raw_body: bytes | None = None,
        tenant_id: str | None = None,
    ) -> ApiResponse:
        body = _body(event, raw_body)
        stamp = int(self.runtime.clock.now().timestamp()) if timestamp is None else timestamp
        headers = canonical_headers(
            secret if secret is not None else self.tenant.webhook_secrets["events"], body, stamp
        )
        return self._post(headers, body, tenant_id)
