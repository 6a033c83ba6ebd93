"""Posting webhooks the way each platform signs them, through the runtime's API Gateway."""

from __future__ import annotations

from typing import Any

from infra.local.runtime import ApiResponse, LocalRuntime, TenantCredentials
from tests.support.webhooks import CanonicalEvents, ShopifyWebhooks, WooCommerceWebhooks


class Webhooks:
    """Every delivery must be accepted (HTTP 200, status "accepted"): an ignored or rejected one
    would measure nothing, so it stops the benchmark."""

    def __init__(self, runtime: LocalRuntime, tenant: TenantCredentials) -> None:
        self.runtime = runtime
        self.tenant = tenant
        self._shopify = ShopifyWebhooks(runtime, tenant)
        self._woocommerce = WooCommerceWebhooks(runtime, tenant)
        self._canonical = CanonicalEvents(runtime, tenant)

    def shopify(self, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
        return _accepted(f"Shopify {topic}", self._shopify.post(topic, payload))

    def woocommerce(self, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
        return _accepted(f"WooCommerce {topic}", self._woocommerce.post(topic, payload))

    def canonical(self, event: dict[str, Any]) -> dict[str, Any]:
        return _accepted(f"canonical {event['type']}", self._canonical.post(event))


def _accepted(what: str, response: ApiResponse) -> dict[str, Any]:
    result = response.json() if response.status == 200 else None
    if not isinstance(result, dict) or result.get("status") != "accepted":
        raise RuntimeError(f"{what} was not accepted: HTTP {response.status} {response.body}")
    return result
