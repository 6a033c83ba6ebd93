"""Every operation of the committed spec, walked with no key and with another tenant's key: 401,
and nothing of this tenant's (404 for its resources by id)."""

from __future__ import annotations

import json
from urllib.parse import quote

from infra.openapi import OUTPUT
from tests.integration.test_seller_api import three_buyers
from tests.support.seller import SellerApi

DISTINCT_QUIET_START = "22:15"
# A valid body per POST (an invalid one is a 422 whoever asks, which tells nothing either way).
VALID_BODIES = {
    ("POST", "/v1/suppressions"): {"address": "theirs@example.com"},
    ("POST", "/v1/customers/{customer_id}/consent"): {"channel": "sms", "granted": True, "source": "walk"},
    ("POST", "/v1/customers/tags"): {"add": ["walk"], "filter": {}},
    ("POST", "/v1/imports"): {"format": "jsonl"},
}
# Path parameters naming a tenant's own resource ({flow} names one of Huike's flows, every tenant's).
OUR_RESOURCE_IDS = ("customer_id", "address", "import_id")


def seller_operations() -> list[tuple[str, str]]:
    spec = json.loads(OUTPUT.read_text(encoding="utf-8"))
    return [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
        if [scheme for scheme in operation.get("security", []) if scheme]
    ]


def test_the_walk_covers_every_seller_operation():
    operations = seller_operations()
    assert ("GET", "/v1/customers/{customer_id}") in operations and ("PATCH", "/v1/settings") in operations
    assert len(operations) >= 9


def test_every_operation_is_401_without_a_key_and_shows_nothing_of_another_tenant(runtime, tenant):
    ours = SellerApi(runtime, tenant.api_key)
    three_buyers(runtime, tenant)
    assert ours.patch("/settings", {"quiet_hours": {"start": DISTINCT_QUIET_START}}).status == 200
    [ann] = ours.get("/customers", phone="+15025550134").json()["items"]
    assert ours.post("/suppressions", {"address": "+15025550134"}, "ours-1").status == 201
    our_import = ours.post("/imports", {"format": "jsonl"}, "ours-2").json()["id"]
    theirs = SellerApi(runtime, runtime.seed_tenant("other-shop").api_key)
    values = {
        "customer_id": ann["customer_id"],
        "flow": "unpaid_reminder",
        "channel": "sms",
        "locale": "en",
        "address": quote("+15025550134"),
        "import_id": our_import,
    }

    for method, path in seller_operations():
        concrete = path.format(**values)[len("/v1") :]
        body = VALID_BODIES.get((method, path), {} if method in ("POST", "PATCH", "PUT") else None)
        headers = {"Idempotency-Key": f"walk-{method}-{path}"}
        anonymous = SellerApi(runtime, None).request(method, concrete, body, headers)
        assert anonymous.status == 401, (method, path, anonymous.body)
        assert anonymous.headers.get("WWW-Authenticate", "").startswith("Bearer"), (method, path)

        foreign = theirs.request(method, concrete, body, headers)
        if any(f"{{{name}}}" in path for name in OUR_RESOURCE_IDS):  # one of our resources, by id
            assert foreign.status == 404, (method, path, foreign.body)
            continue
        assert foreign.status in (200, 201), (method, path, foreign.body)
        if method == "POST":  # their own new resource: it echoes what they sent, nothing else
            assert ann["customer_id"] not in foreign.body and DISTINCT_QUIET_START not in foreign.body
            continue
        for ours_only in (ann["customer_id"], "+15025550134", DISTINCT_QUIET_START):
            assert ours_only not in foreign.body, (method, path, ours_only)
