"""Posting webhooks the way each platform signs them, through the runtime's API Gateway."""

from __future__ import annotations

import itertools
import json
from typing import Any

from infra.local.runtime import ApiResponse, LocalRuntime, TenantCredentials
from tests.conftest import ShopifyWebhooks

_delivery_ids = itertools.count(1)


class Webhooks:
    """Every delivery must be accepted (HTTP 200, status "accepted"): an ignored or rejected one
    would measure nothing, so it stops the benchmark."""

    def __init__(self, runtime: LocalRuntime, tenant: TenantCredentials) -> None:
        self.runtime = runtime
        self.tenant = tenant
        self._shopify = ShopifyWebhooks(runtime, tenant)

    def shopify(self, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
        return _accepted(f"Shopify {topic}", self._shopify.post(topic, payload))

    def woocommerce(self, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
        from huike.ingest.signatures import base64_hmac_sha256

        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": topic.split(".", 1)[1],
            "X-WC-Webhook-Signature": base64_hmac_sha256(self.tenant.webhook_secrets["woocommerce"], body),
            "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": f"wc-{next(_delivery_ids)}",
        }
        response = self.runtime.api("POST", f"/webhooks/woocommerce/{self.tenant.tenant_id}", headers, body)
        return _accepted(f"WooCommerce {topic}", response)

    def canonical(self, event: dict[str, Any]) -> dict[str, Any]:
        from huike.ingest.signatures import canonical_signature

        body = json.dumps(event).encode()
        timestamp = int(self.runtime.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "Huike-Signature": canonical_signature(self.tenant.webhook_secrets["events"], body, timestamp),
        }
        response = self.runtime.api("POST", f"/webhooks/events/{self.tenant.tenant_id}", headers, body)
        return _accepted(f"canonical {event['type']}", response)


def _accepted(what: str, response: ApiResponse) -> dict[str, Any]:
    result = response.json() if response.status == 200 else None
    if not isinstance(result, dict) or result.get("status") != "accepted":
        raise RuntimeError(f"{what} was not accepted: HTTP {response.status} {response.body}")
    return result
