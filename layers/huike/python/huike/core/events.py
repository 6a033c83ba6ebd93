"""Huike's canonical event model. Every platform adapter maps its payload onto it, so flows
never see platform formats. The same model is the body of POST /webhooks/events/{tenant_id}."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from huike.core.enums import Channel

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


class ConsentData(BaseModel):
    """A marketing consent statement for one channel, as the platform captured it."""

    channel: Channel
    granted: bool
    at: datetime | None = None
    wording: str | None = Field(default=None, description="The wording shown when consent was captured")
    proof: dict[str, str] = Field(default_factory=dict, description="ip, user_agent, opt_in_level, ...")


class CustomerData(BaseModel):
    platform_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = Field(default=None, description="ISO 3166 alpha-2, for phone parsing")
    locale: str | None = None
    timezone: str | None = None
    birthday: date | None = None
    consents: list[ConsentData] = Field(default_factory=list)


class LineItem(BaseModel):
    product_id: str | None = None
    title: str | None = None
    quantity: int = 1
    price: str | None = None
    image_url: str | None = None


class OrderData(BaseModel):
    order_id: str = Field(min_length=1)
    name: str | None = None
    currency: str | None = None
    total_price: str | None = None
    created_at: datetime | None = None
    financial_status: str | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    refunded_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    carrier: str | None = None
    payment_url: str | None = None
    cart_id: str | None = Field(default=None, description="The cart/checkout the order converted")
    locale: str | None = None
    line_items: list[LineItem] = Field(default_factory=list)


class CartData(BaseModel):
    cart_id: str = Field(min_length=1)
    updated_at: datetime
    recovery_url: str | None = None
    currency: str | None = None
    total_price: str | None = None
    completed_at: datetime | None = None
    line_items: list[LineItem] = Field(default_factory=list)


class ProductData(BaseModel):
    product_id: str = Field(min_length=1)
    title: str | None = None
    url: str | None = None
    image_url: str | None = None
    price: str | None = None


_REQUIRED_PART = {
    "order": ("order.created", "order.paid", "order.shipped", "order.delivered", "order.cancelled", "order.refunded"),
    "cart": ("cart.updated",),
    "product": ("product.viewed",),
    "customer": ("customer.updated", "product.viewed", "cart.updated"),
}


class Event(BaseModel):
    id: str = Field(min_length=1, description="Unique per event; a repeated id has one effect")
    type: EventType
    occurred_at: datetime
    source: str = "events"
    customer: CustomerData | None = None
    order: OrderData | None = None
    cart: CartData | None = None
    product: ProductData | None = None

    @model_validator(mode="after")
    def _has_what_its_type_needs(self) -> Event:
        for part, types in _REQUIRED_PART.items():
            if self.type in types and getattr(self, part) is None:
                raise ValueError(f"a {self.type} event needs a {part!r} object")
        incomplete = self.order is not None and (self.order.created_at is None or not self.order.name)
        if self.type == "order.created" and incomplete:
            raise ValueError("an order.created event needs order.created_at and order.name")
        return self
