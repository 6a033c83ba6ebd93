"""Huike's canonical event model. Every platform adapter maps its payload onto it, so flows
never see platform formats."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

EventType = Literal[
    "order.created",
    "order.paid",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
    "cart.updated",
    "product.viewed",
    "customer.updated",
]


class CustomerData(BaseModel):
    platform_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = Field(default=None, description="ISO 3166 alpha-2, for phone parsing")
    locale: str | None = None
    timezone: str | None = None


class OrderData(BaseModel):
    order_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    currency: str | None = None
    total_price: str | None = None
    created_at: datetime
    financial_status: str = "pending"
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    payment_url: str | None = None
    locale: str | None = None


class Event(BaseModel):
    id: str = Field(min_length=1)
    type: EventType
    occurred_at: datetime
    source: str = "events"
    customer: CustomerData | None = None
    order: OrderData | None = None
