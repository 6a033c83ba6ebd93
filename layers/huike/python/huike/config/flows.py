"""Per-tenant flow settings: Huike's defaults overlaid with the tenant's own (tenant.flows)."""

from __future__ import annotations

from typing import Any

TRANSACTIONAL_CHANNELS = ["sms", "email"]
MARKETING_CHANNELS = ["sms", "email"]

DEFAULTS: dict[str, dict[str, Any]] = {
    "unpaid_reminder": {
        "enabled": True,
        "purpose": "transactional",
        "delay_minutes": 30,
        "payment_window_hours": 24,
        "second_touch": False,
        "second_touch_hours_before_close": 2,
        "channels": ["sms"],
    },
    "payment_confirmation": {"enabled": True, "purpose": "transactional", "channels": TRANSACTIONAL_CHANNELS},
    "shipping_notice": {"enabled": True, "purpose": "transactional", "channels": TRANSACTIONAL_CHANNELS},
    "delayed_shipment": {
        "enabled": True,
        "purpose": "transactional",
        "promise_hours": 48,
        "channels": TRANSACTIONAL_CHANNELS,
    },
    "delivery_notice": {"enabled": True, "purpose": "transactional", "channels": TRANSACTIONAL_CHANNELS},
    "refund_care": {"enabled": True, "purpose": "transactional", "channels": TRANSACTIONAL_CHANNELS},
    "review_invite": {
        "enabled": True,
        "purpose": "marketing",
        "delay_days": 3,
        "channels": MARKETING_CHANNELS,
        "review_url": None,
    },
    "cart_abandonment": {"enabled": True, "purpose": "marketing", "delay_minutes": 60, "channels": MARKETING_CHANNELS},
    "browse_abandonment": {
        "enabled": True,
        "purpose": "marketing",
        "delay_hours": 4,
        "repeat_after_days": 30,
        "channels": MARKETING_CHANNELS,
    },
    "win_back": {
        "enabled": True,
        "purpose": "marketing",
        "default_interval_days": 90,
        "second_touch_days": 7,
        "channels": MARKETING_CHANNELS,
        "shop_url": None,
    },
    "birthday": {
        "enabled": True,
        "purpose": "marketing",
        "send_hour": 8,
        "window_end_hour": 10,
        "channels": MARKETING_CHANNELS,
    },
}


def flow_settings(tenant_flows: dict[str, Any] | None, flow: str) -> dict[str, Any]:
    merged = dict(DEFAULTS[flow])
    merged.update((tenant_flows or {}).get(flow) or {})
    return merged
