"""Writes docs/openapi.json: the REST API's OpenAPI spec, from the handlers' Powertools resolvers
(webhooks, and the seller API under /v1), with the canonical event body (huike.core.events.Event)
documented on /webhooks/events/{tenant_id}.

    python -m infra.openapi            # rewrite docs/openapi.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from infra.local.lambdas import LambdaHost
from infra.local.template import ROOT, local_template

OUTPUT = ROOT / "docs" / "openapi.json"
CANONICAL_PATH = "/webhooks/events/{tenant_id}"


def build() -> dict[str, Any]:
    from huike.core.events import Event
    from huike.ingest.platforms.canonical import OPENAPI_EXAMPLE

    host = LambdaHost(local_template().functions())
    resolver = host.module(host.functions["WebhookFunction"]).app
    spec: dict[str, Any] = json.loads(
        resolver.get_openapi_json_schema(
            title="Huike API",
            version="0.1.0",
            summary="Webhooks in; retention messages out, through one send policy.",
        )
    )
    schema = Event.model_json_schema(ref_template="#/components/schemas/{model}")
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["Event"] = schema
    operation = spec["paths"][CANONICAL_PATH]["post"]
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}, "example": OPENAPI_EXAMPLE}},
    }
    operation.setdefault("parameters", []).append(
        {
            "name": "Huike-Signature",
            "in": "header",
            "required": True,
            "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the tenant\'s events '
            "secret; rejected outside a 300 s tolerance.",
            "schema": {"type": "string"},
        }
    )
    _add_seller_api(spec, json.loads(host.module(host.functions["SellerApiFunction"]).openapi_json()))
    return spec


def _add_seller_api(spec: dict[str, Any], seller: dict[str, Any]) -> None:
    """The seller API's own document (served at /v1/openapi.json), merged in: its operations each
    require the bearer key (the webhooks authenticate by signature instead)."""
    for path, operations in seller["paths"].items():
        for operation in operations.values():
            operation.setdefault("security", seller.get("security", []))
        spec["paths"][path] = operations
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update(seller.get("components", {}).get("schemas", {}))
    components.setdefault("securitySchemes", {}).update(seller.get("components", {}).get("securitySchemes", {}))


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "huike" / "python"))
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
