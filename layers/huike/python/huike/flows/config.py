"""Per-tenant flow settings: Huike's defaults overlaid with the tenant's own."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, dict[str, Any]] = {
    "unpaid_reminder": {
        "enabled": True,
        "delay_minutes": 30,
        "payment_window_hours": 24,
        "channels": ["sms"],
        "purpose": "transactional",
    },
}


def flow_settings(tenant_flows: dict[str, Any] | None, flow: str) -> dict[str, Any]:
    merged = dict(DEFAULTS[flow])
    merged.update((tenant_flows or {}).get(flow) or {})
    return merged
