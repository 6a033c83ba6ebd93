"""A tenant's settings (typed, validated on write and on load) and the tenant as the domain sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from huike.config.flows import FlowsConfig
from huike.config.validation import HTTP_URL_PATTERN, MAX_URL_LENGTH, is_stored
from huike.core.enums import Channel
from huike.core.zones import zone

Locale = Literal["en", "zh-CN"]
SUPPORTED_LOCALES: tuple[Locale, ...] = ("en", "zh-CN")
HttpUrl = Annotated[str, Field(pattern=HTTP_URL_PATTERN, max_length=MAX_URL_LENGTH)]
E164 = Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$")]
DEFAULT_OPT_OUT_TEXTS: dict[Locale, str] = {"en": "Reply STOP to opt out", "zh-CN": "回T退订"}


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class QuietHours(_Settings):
    """No message in the recipient's local night; deferred to the window's end, never dropped."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    transactional: bool = Field(default=True, description="Also defer transactional messages (default on)")


class Caps(_Settings):
    """Marketing frequency caps per channel family (MMS counts with SMS), rolling windows."""

    sms_hours: float = Field(default=24, ge=0, le=24 * 30)
    email_hours: float = Field(default=16, ge=0, le=24 * 30)
    weekly: int = Field(default=3, ge=0, le=100, description="Marketing messages in any 7 days, all channels")

    def window(self, channel: Channel) -> timedelta:
        hours = self.sms_hours if channel.family is Channel.SMS else self.email_hours
        return timedelta(hours=hours)


class Sender(_Settings):
    name: str | None = Field(default=None, max_length=100, description="Shop name shown in messages and From")
    email: str | None = Field(default=None, max_length=254, description="SES-verified From address")
    sms_number: E164 | None = Field(default=None, description="Origination number (also receives replies)")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Read back, the address is the one the write normalised: no email_validator (~20 ms of
        # cold start) for functions that never see a new address.
        if value is None or is_stored(info):
            return value
        from email_validator import EmailNotValidError, validate_email

        try:
            return str(validate_email(value, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise ValueError(str(exc)) from None


class Links(_Settings):
    shop_url: HttpUrl | None = None
    review_url: HttpUrl | None = None


CategoryName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f:#]+$")]


class CategoryRule(_Settings):
    """A product category for line items whose product id is one of `product_ids` or whose SKU
    starts with `sku_prefix` (platform webhooks carry no category)."""

    category: CategoryName
    sku_prefix: str | None = Field(default=None, min_length=1, max_length=64)
    product_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _matches_something(self) -> CategoryRule:
        if not self.sku_prefix and not self.product_ids:
            raise ValueError("a category rule needs sku_prefix or product_ids")
        return self


class TenantSettings(_Settings):
    timezone: str = Field(default="UTC", description="IANA zone, the last resort for quiet hours")
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2, for phone parsing")
    locale: Locale = "en"
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    caps: Caps = Field(default_factory=Caps)
    sender: Sender = Field(default_factory=Sender)
    opt_out_texts: dict[Locale, Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=lambda: dict(DEFAULT_OPT_OUT_TEXTS)
    )
    links: Links = Field(default_factory=Links)
    postal_address: str | None = Field(default=None, max_length=500)
    product_categories: list[CategoryRule] = Field(
        default_factory=list,
        max_length=100,
        description="How line items get a category (per-category buyer tags, replenishment intervals)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if zone(value) is None:
            raise ValueError(f"unknown time zone {value!r}")
        return value

    @model_validator(mode="after")
    def _every_locale_has_an_opt_out_text(self) -> TenantSettings:
        missing = [locale for locale in SUPPORTED_LOCALES if locale not in self.opt_out_texts]
        if missing:
            raise ValueError(f"opt_out_texts needs a text for {', '.join(missing)}")
        return self

    def category_of(self, product_id: str | None, sku: str | None) -> str | None:
        """The category a line item belongs to by these rules: a listed product id first, then
        the longest matching SKU prefix."""
        for rule in self.product_categories:
            if product_id and product_id in rule.product_ids:
                return rule.category.strip().lower()
        prefixes = [
            rule for rule in self.product_categories if rule.sku_prefix and sku and sku.startswith(rule.sku_prefix)
        ]
        if prefixes:
            return max(prefixes, key=lambda rule: len(rule.sku_prefix or "")).category.strip().lower()
        return None

    def opt_out_text(self, locale: str) -> str:
        texts: dict[str, str] = {str(key): value for key, value in self.opt_out_texts.items()}
        return texts.get(locale, texts["en"])


@dataclass(frozen=True)
class TenantConfig:
    """A tenant as the domain reads it: identity, secrets, and typed settings for it and its flows."""

    tenant_id: str
    name: str
    api_key_hash: str
    settings: TenantSettings = field(default_factory=TenantSettings)
    flows: FlowsConfig = field(default_factory=FlowsConfig)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    pseudonym_key: str = ""

    @property
    def shop_name(self) -> str:
        return self.settings.sender.name or self.name

    def secret(self, source: str) -> str:
        return str(self.webhook_secrets.get(source, ""))
