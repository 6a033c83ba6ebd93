"""docs/openapi.json is generated from the real resolver and documents the canonical event body."""

from __future__ import annotations

import json
import typing

from huike.core.events import EventType
from infra.local.template import local_template
from infra.openapi import OUTPUT, render


def test_committed_spec_is_current():
    assert OUTPUT.read_text(encoding="utf-8") == render(), "run: make openapi"


def test_every_template_route_is_in_the_spec():
    spec = json.loads(render())
    for route in local_template().routes():
        if route.path == "/v1/docs":  # the Swagger UI page that renders this document
            continue
        assert route.method.lower() in spec["paths"][route.path], route


def test_every_seller_operation_requires_the_bearer_key_and_no_webhook_does():
    spec = json.loads(render())
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            wants_key = path.startswith("/v1/") and path != "/v1/openapi.json"
            required = [scheme for scheme in operation.get("security", []) if scheme]  # {} = no key
            assert bool(required) == wants_key, (method, path)
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: hk_live_...",
    }


def test_canonical_event_body_lists_every_event_type_and_its_signature_header():
    spec = json.loads(render())
    operation = spec["paths"]["/webhooks/events/{tenant_id}"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Event"}
    event_schema = spec["components"]["schemas"]["Event"]
    assert sorted(event_schema["properties"]["type"]["enum"]) == sorted(typing.get_args(EventType))
    assert any(p["name"] == "Huike-Signature" and p["in"] == "header" for p in operation["parameters"])
