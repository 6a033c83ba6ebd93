"""Huike's canonical event model. Every platform adapter maps its payload onto it, so flows
never see platform formats. The same model is the body of POST /webhooks/events/{tenant_id}."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from huike.core import clock
from huike.core.enums import Channel

# Input limits (documented in the OpenAPI spec through these types): every stored value is
# bounded, so no event can reach DynamoDB's 400 KB item limit or a time a flow cannot schedule.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_LINE_ITEMS = 500
FUTURE_CONSENT_TOLERANCE = timedelta(minutes=5)


def _in_range(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return moment


Id = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(max_length=500)]
Url = Annotated[str, Field(max_length=2048)]
Text = Annotated[str, Field(max_length=1000)]
MAX_PHONE_LENGTH = 50
PhoneText = Annotated[str, Field(max_length=MAX_PHONE_LENGTH)]
EmailText = Annotated[str, Field(max_length=320)]
Moment = Annotated[datetime, AfterValidator(_in_range)]
# A finite, non-negative decimal amount as a string ("409.94"); NaN, Infinity and -1 are refused.
Amount = Annotated[str, Field(pattern=r"^\d{1,15}(\.\d{1,6})?$", description="non-negative decimal, e.g. 409.94")]

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


class _EventPart(BaseModel):
    # Built on first use: a function that never validates an event does not pay for the schema.
    model_config = ConfigDict(defer_build=True)


class ConsentData(_EventPart):
    """A marketing consent statement for one channel, as the platform captured it."""

    channel: Channel
    granted: bool
    at: Moment | None = None
    wording: Text | None = Field(default=None, description="The wording shown when consent was captured")
    proof: dict[Annotated[str, Field(max_length=50)], Text] = Field(
        default_factory=dict, max_length=10, description="ip, user_agent, opt_in_level, ..."
    )


class CustomerData(_EventPart):
    platform_id: Id | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: EmailText | None = None
    phone: PhoneText | None = None
    country: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="ISO 3166 alpha-2, for phone parsing"
    )
    locale: Annotated[str, Field(max_length=35)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    birthday: date | None = None
    consents: list[ConsentData] = Field(default_factory=list, max_length=3)

    @model_validator(mode="after")
    def _one_statement_per_channel(self) -> CustomerData:
        channels = [consent.channel for consent in self.consents]
        if len(set(channels)) != len(channels):
            raise ValueError("consents: at most one statement per channel")
        latest = clock.now() + FUTURE_CONSENT_TOLERANCE
        if any(consent.at is not None and consent.at > latest for consent in self.consents):
            raise ValueError("consents: a statement cannot be dated in the future")
        return self


class LineItem(_EventPart):
    product_id: Id | None = None
    sku: Id | None = None
    category: Name | None = Field(default=None, description="The product's category, when the source knows it")
    title: Name | None = None
    quantity: int = Field(default=1, ge=0, le=100_000)
    price: Amount | None = None
    image_url: Url | None = None


class OrderData(_EventPart):
    order_id: Id
    name: Name | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] | None = None
    total_price: Amount | None = None
    created_at: Moment | None = None
    financial_status: Annotated[str, Field(max_length=50)] | None = None
    paid_at: Moment | None = None
    cancelled_at: Moment | None = None
    refunded_at: Moment | None = None
    shipped_at: Moment | None = None
    delivered_at: Moment | None = None
    tracking_number: Name | None = None
    tracking_url: Url | None = None
    carrier: Name | None = None
    payment_url: Url | None = None
    cart_id: Id | None = Field(default=None, description="The cart/checkout the order converted")
    locale: Annotated[str, Field(max_length=35)] | None = None
    line_items: list[LineItem] = Field(default_factory=list, max_length=MAX_LINE_ITEMS)
    contact_phones: list[PhoneText] = Field(
        default_factory=list,
        max_length=4,
        description="The order's own phone numbers, preferred first (customer, billing, shipping): the first "
        "that can be texted receives this order's messages. Empty: the event's customer phone.",
    )
    contact_email: EmailText | None = Field(
        default=None, description="The order's own email address. Empty: the event's customer email."
    )


class CartData(_EventPart):
    cart_id: Id
    updated_at: Moment
    recovery_url: Url | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] | None = None
    total_price: Amount | None = None
    completed_at: Moment | None = None
    line_items: list[LineItem] = Field(default_factory=list, max_length=MAX_LINE_ITEMS)


class ProductData(_EventPart):
    product_id: Id
    title: Name | None = None
    url: Url | None = None
    image_url: Url | None = None
    price: Amount | None = None


_REQUIRED_PART = {
    "order": ("order.created", "order.paid", "order.shipped", "order.delivered", "order.cancelled", "order.refunded"),
    "cart": ("cart.updated",),
    "product": ("product.viewed",),
    "customer": ("customer.updated", "product.viewed", "cart.updated"),
}


class Event(_EventPart):
    id: Id = Field(description="Unique per event; a repeated id has one effect")
    type: EventType
    occurred_at: Moment
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
