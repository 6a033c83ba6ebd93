"""Tenant settings are cached per function container for TENANT_CACHE_SECONDS: a seller's change
reaches the webhook, stream and flow functions within that time, a rotated webhook secret is
honoured at once, and a container reads the tenant once however many events it handles."""

from __future__ import annotations

from tests.support import payloads


def read_in(runtime, container: str, tenant_id: str):
    from huike.store.tenants import cached_tenant

    return runtime.lambdas.in_container(container, lambda: cached_tenant(tenant_id))


def test_a_settings_change_reaches_other_functions_within_the_cache_lifetime(runtime, tenant, seller):
    from huike.store.tenants import TENANT_CACHE_SECONDS

    assert read_in(runtime, "LifecycleFunction", tenant.tenant_id).settings.timezone != "Asia/Shanghai"

    assert seller.patch("/settings", {"timezone": "Asia/Shanghai"}).status == 200

    assert seller.get("/settings").json()["timezone"] == "Asia/Shanghai"  # the seller sees it at once
    assert read_in(runtime, "LifecycleFunction", tenant.tenant_id).settings.timezone != "Asia/Shanghai"
    runtime.advance(seconds=TENANT_CACHE_SECONDS)
    assert read_in(runtime, "LifecycleFunction", tenant.tenant_id).settings.timezone == "Asia/Shanghai"


def test_a_container_reads_its_tenant_once_for_many_events(runtime, tenant, shopify):
    reads: list[str] = []

    def count_tenant_reads(params, **_):
        if params.get("TableName", "").endswith(runtime.template.physical_name("TenantsTable")):
            reads.append(params["TableName"])

    def install() -> None:
        from huike.aws.clients import client

        client("dynamodb").meta.events.register("provide-client-params.dynamodb.GetItem", count_tenant_reads)

    runtime.lambdas.in_container("WebhookFunction", install)
    for number in range(5):
        order = payloads.shopify_order(created_at=runtime.clock.now().isoformat())
        order["id"] += number
        assert shopify.post("orders/create", order).status == 200
        runtime.advance(seconds=5)

    assert len(reads) == 1


def test_a_rotated_webhook_secret_is_honoured_at_once_by_a_container_that_cached_the_old_one(runtime, tenant, shopify):
    from huike.store.tenants import set_webhook_secret

    old = tenant.webhook_secrets["shopify"]
    assert shopify.post("orders/create", payloads.shopify_order()).status == 200  # the webhook caches the tenant
    new = "shpss_" + "fedcba9876543210" * 2
    set_webhook_secret(tenant.tenant_id, "shopify", new)  # the operator, elsewhere

    # Without the clock moving: a signature the cached secret refuses is checked against the stored one.
    assert shopify.post("orders/paid", payloads.shopify_order(), secret=new).status == 200
    assert shopify.post("orders/paid", payloads.shopify_order(), secret=old).status == 401
