"""POST /webhooks/events/{tenant_id}: Huike's canonical events, sent by adapters for any other
platform (Taobao, JD, Youzan, custom shops). The body is huike.core.events.Event itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from huike.core.errors import BadRequest
from huike.core.events import Event
from huike.ingest.platforms import MAX_PROBLEMS, describe

SOURCE = "events"

OPENAPI_EXAMPLE: dict[str, Any] = {
    "id": "evt_20261123_000123",
    "type": "order.paid",
    "occurred_at": "2026-11-23T15:05:00+08:00",
    "customer": {
        "platform_id": "youzan-88123",
        "first_name": "小红",
        "last_name": "王",
        "email": "xiaohong@example.com",
        "phone": "+8613800138000",
        "country": "CN",
        "locale": "zh-CN",
        "timezone": "Asia/Shanghai",
        "birthday": "1995-06-18",
        "consents": [
            {
                "channel": "sms",
                "granted": True,
                "at": "2026-11-23T14:58:10+08:00",
                "wording": "勾选即同意接收店铺优惠短信，回T退订",
                "proof": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (iPhone)"},
            }
        ],
    },
    "order": {
        "order_id": "youzan-E20261123150000001",
        "name": "E20261123150000001",
        "currency": "CNY",
        "total_price": "299.00",
        "created_at": "2026-11-23T15:00:00+08:00",
        "financial_status": "paid",
        "paid_at": "2026-11-23T15:05:00+08:00",
        "payment_url": "https://shop.example.com/pay/E20261123150000001",
        "cart_id": "youzan-cart-7f3a",
        "locale": "zh-CN",
        "line_items": [
            {
                "product_id": "sku-1001",
                "title": "保温杯 500ml",
                "quantity": 2,
                "price": "149.50",
                "image_url": "https://img.example.com/sku-1001.jpg",
            }
        ],
    },
}


def to_event(payload: Any) -> Event:
    """Validate a canonical event body; raises BadRequest naming the invalid fields."""
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object (a Huike event)")
    try:
        event = Event.model_validate({**payload, "source": SOURCE})
    except ValidationError as exc:
        raise BadRequest(describe(exc, "event")) from None
    naive = list(_naive_datetimes(event, ()))
    if naive:
        problems = [f"{path}: datetime needs a UTC offset (e.g. 2026-11-23T15:00:00+08:00)" for path in naive]
        raise BadRequest("invalid event: " + "; ".join(problems[:MAX_PROBLEMS]))
    return event


def _naive_datetimes(value: Any, path: tuple[str, ...]) -> Iterator[str]:
    """Paths of datetimes without a time zone: the sender's local time is unknowable here."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            yield ".".join(path)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _naive_datetimes(getattr(value, name), (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _naive_datetimes(item, (*path, str(index)))
