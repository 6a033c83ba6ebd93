"""Shared fixtures: a fresh local runtime (moto + template.yaml + ASL + real handlers) per test."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.runtime import ApiResponse, LocalRuntime, TenantCredentials

FIXTURES = Path(__file__).parent / "fixtures"
# 15:00 UTC is 10:00 in New York, the demo buyer's zone: daytime, outside quiet hours.
DAYTIME_UTC = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
_webhook_ids = itertools.count(1)


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(start=DAYTIME_UTC) as local:
        yield local


@pytest.fixture
def tenant(runtime: LocalRuntime) -> TenantCredentials:
    return runtime.seed_tenant()


def shopify_order(**overrides: Any) -> dict[str, Any]:
    order = json.loads((FIXTURES / "shopify_order.json").read_text())
    merged = copy.deepcopy(order)
    merged.update(overrides)
    return merged


class ShopifyWebhooks:
    """Posts Shopify deliveries the way Shopify does: raw JSON body, base64 HMAC header."""

    def __init__(self, runtime: LocalRuntime, tenant: TenantCredentials) -> None:
        self.runtime = runtime
        self.tenant = tenant

    def post(
        self,
        topic: str,
        payload: Any,
        *,
        webhook_id: str | None = None,
        secret: str | None = None,
        raw_body: bytes | None = None,
        tenant_id: str | None = None,
    ) -> ApiResponse:
        from huike.ingest.signatures import base64_hmac_sha256

        body = raw_body if raw_body is not None else json.dumps(payload).encode()
        signing_secret = secret if secret is not None else self.tenant.webhook_secrets["shopify"]
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": base64_hmac_sha256(signing_secret, body),
            "X-Shopify-Webhook-Id": webhook_id or f"b54557e4-bdd9-4b37-8a5f-{next(_webhook_ids):012d}",
            "X-Shopify-Triggered-At": self.runtime.clock.now().isoformat(),
            "X-Shopify-Shop-Domain": "demo-store.myshopify.com",
            "X-Shopify-API-Version": "2025-10",
        }
        return self.runtime.api("POST", f"/webhooks/shopify/{tenant_id or self.tenant.tenant_id}", headers, body)


@pytest.fixture
def shopify(runtime: LocalRuntime, tenant: TenantCredentials) -> ShopifyWebhooks:
    return ShopifyWebhooks(runtime, tenant)
