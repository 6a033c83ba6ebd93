"""Webhook bodies: the trimmed fixtures in tests/fixtures, and the platforms' own samples in
<repo>/../shared/realpayloads-fixtures (see SOURCE.md there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL_PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "realpayloads-fixtures"


def fixture(name: str, /, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of tests/fixtures/<name>.json with top-level keys replaced."""
    payload: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    payload.update(overrides)
    return payload


def shopify_order(**overrides: Any) -> dict[str, Any]:
    """Shopify order #1001 (id 450789469), pending, $409.94, buyer Bob Norman of Louisville."""
    return fixture("shopify_order", **overrides)


def woocommerce_order(**overrides: Any) -> dict[str, Any]:
    """WooCommerce order #727, REST API v3 shape (a webhook delivers the same body)."""
    return fixture("woocommerce_order", **overrides)


def real_payload_path(name: str) -> Path:
    """A platform's own sample, e.g. real_payload_path("shopify/order_paid_1073459972.json")."""
    return REAL_PAYLOADS / name


def real_payload(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(real_payload_path(name).read_text(encoding="utf-8"))
    return payload
