"""The pytest fixtures of the integration, flow and infra tiers, registered for the whole suite
by tests/conftest.py (pytest_plugins). A fresh local runtime (moto + template.yaml + ASL + the
real handlers) per test, on a virtual clock that starts at DAYTIME_UTC."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.clock import DAYTIME_UTC
from tests.support.webhooks import CanonicalEvents, ShopifyWebhooks, WooCommerceWebhooks

if TYPE_CHECKING:
    from infra.local.runtime import LocalRuntime, TenantCredentials
    from tests.support.seller import SellerApi


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    from infra.local.runtime import LocalRuntime  # here, not above: the unit tier never loads it

    with LocalRuntime(start=DAYTIME_UTC) as local:
        yield local


@pytest.fixture
def tenant(runtime: LocalRuntime) -> TenantCredentials:
    return runtime.seed_tenant()


@pytest.fixture
def shopify(runtime: LocalRuntime, tenant: TenantCredentials) -> ShopifyWebhooks:
    return ShopifyWebhooks(runtime, tenant)


@pytest.fixture
def woocommerce(runtime: LocalRuntime, tenant: TenantCredentials) -> WooCommerceWebhooks:
    return WooCommerceWebhooks(runtime, tenant)


@pytest.fixture
def canonical(runtime: LocalRuntime, tenant: TenantCredentials) -> CanonicalEvents:
    return CanonicalEvents(runtime, tenant)


@pytest.fixture
def seller(runtime: LocalRuntime, tenant: TenantCredentials) -> SellerApi:
    """The demo tenant's seller API client (its API key)."""
    from tests.support.seller import SellerApi

    return SellerApi(runtime, tenant.api_key)
