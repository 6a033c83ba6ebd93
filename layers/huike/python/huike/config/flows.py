"""Per-tenant flow settings: Huike's defaults, overridden field by field by the tenant.

Stored on the tenant item as {flow: {field: value}} (only what the seller set, so new defaults
reach everyone who kept the old ones), validated in full on write and leniently on load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from huike.config.validation import HTTP_URL_PATTERN, MAX_TEMPLATE_LENGTH, MAX_URL_LENGTH, load_lenient
from huike.core.enums import Channel, FlowName, Purpose

TemplateLocale = Literal["en", "zh-CN"]
HttpUrl = Annotated[str, Field(pattern=HTTP_URL_PATTERN, max_length=MAX_URL_LENGTH)]
DAY_MINUTES = 24 * 60


class TemplateText(BaseModel):
    """A seller's wording for one template and locale: the SMS/MMS body (also email's unless it
    has its own) and the email subject."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEMPLATE_LENGTH)
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    email_text: str | None = Field(
        default=None, min_length=1, max_length=MAX_TEMPLATE_LENGTH, description="Email's own body (else text)"
    )

    @field_validator("text", "subject", "email_text")
    @classmethod
    def _compiles(cls, source: str | None) -> str | None:
        if source is None:
            return None
        from jinja2 import TemplateSyntaxError
        from jinja2.sandbox import SandboxedEnvironment

        try:
            SandboxedEnvironment().parse(source)
        except TemplateSyntaxError as exc:
            raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
        return source


class FlowSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    purpose: ClassVar[Purpose]
    # Templates a flow renders: its own, plus any later touch's.
    template_names: ClassVar[tuple[str, ...]] = ()

    enabled: bool = True
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.SMS, Channel.EMAIL],
        min_length=1,
        description="Tried in order: a channel that cannot be used falls back to the next",
    )
    coupon: str | None = Field(default=None, min_length=1, max_length=64)
    templates: dict[str, dict[TemplateLocale, TemplateText]] = Field(
        default_factory=dict, description="{template: {locale: {text, subject}}}; unset parts use Huike's wording"
    )

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, channels: list[Channel]) -> list[Channel]:
        if len(set(channels)) != len(channels):
            raise ValueError("each channel may appear once")
        return channels

    @field_validator("templates", mode="before")
    @classmethod
    def _text_shorthand(cls, templates: Any) -> Any:
        """{"en": "text"} is shorthand for {"en": {"text": "text"}}."""
        if not isinstance(templates, dict):
            return templates
        return {
            name: (
                {loc: {"text": v} if isinstance(v, str) else v for loc, v in locales.items()}
                if isinstance(locales, dict)
                else locales
            )
            for name, locales in templates.items()
        }

    @model_validator(mode="after")
    def _known_templates(self) -> FlowSettings:
        unknown = sorted(set(self.templates) - set(self.template_names))
        if unknown:
            raise ValueError(f"unknown template(s) {unknown}; this flow renders {list(self.template_names)}")
        return self

    def template_override(self, template: str, locale: str, part: str) -> str | None:
        text = self.templates.get(template, {}).get(locale)  # type: ignore[call-overload]
        return getattr(text, part, None) if text is not None else None


class TransactionalFlowSettings(FlowSettings):
    purpose: ClassVar[Purpose] = Purpose.TRANSACTIONAL


class MarketingFlowSettings(FlowSettings):
    purpose: ClassVar[Purpose] = Purpose.MARKETING
    default_priority: ClassVar[int] = 50

    priority: int = Field(
        default=50, ge=1, le=100, description="Under caps, a flow yields to one with a lower number due soon"
    )

    @model_validator(mode="before")
    @classmethod
    def _flow_default_priority(cls, data: Any) -> Any:
        if isinstance(data, dict) and "priority" not in data:
            return {**data, "priority": cls.default_priority}
        return data


class UnpaidReminderSettings(TransactionalFlowSettings):
    template_names = ("unpaid_reminder", "unpaid_reminder_final")

    delay_minutes: float = Field(default=30, gt=0, le=7 * DAY_MINUTES)
    payment_window_hours: float = Field(default=24, gt=0, le=30 * 24, description="The platform's close deadline")
    second_touch: bool = False
    second_touch_hours_before_close: float = Field(default=2, gt=0, le=30 * 24)


class PaymentConfirmationSettings(TransactionalFlowSettings):
    template_names = ("payment_confirmation",)


class ShippingNoticeSettings(TransactionalFlowSettings):
    template_names = ("shipping_notice",)


class DelayedShipmentSettings(TransactionalFlowSettings):
    template_names = ("delayed_shipment",)

    promise_hours: float = Field(default=48, gt=0, le=60 * 24)


class DeliveryNoticeSettings(TransactionalFlowSettings):
    template_names = ("delivery_notice",)


class RefundCareSettings(TransactionalFlowSettings):
    template_names = ("refund_care",)


class ReviewInviteSettings(MarketingFlowSettings):
    template_names = ("review_invite",)
    default_priority = 20

    delay_days: float = Field(default=3, gt=0, le=90)
    review_url: HttpUrl | None = None


class CartAbandonmentSettings(MarketingFlowSettings):
    template_names = ("cart_abandonment",)
    default_priority = 10

    delay_minutes: float = Field(default=60, gt=0, le=7 * DAY_MINUTES)


class BrowseAbandonmentSettings(MarketingFlowSettings):
    template_names = ("browse_abandonment",)
    default_priority = 40

    delay_hours: float = Field(default=4, gt=0, le=7 * 24)
    repeat_after_days: float = Field(default=30, ge=0, le=365)


class WinBackSettings(MarketingFlowSettings):
    template_names = ("win_back", "win_back_final")
    default_priority = 30

    default_interval_days: float = Field(default=90, gt=0, le=730)
    store_median_interval_days: float | None = Field(default=None, gt=0, le=730)
    second_touch_days: float = Field(default=7, gt=0, le=90)
    shop_url: HttpUrl | None = None


class BirthdaySettings(MarketingFlowSettings):
    template_names = ("birthday",)
    default_priority = 50

    send_hour: int = Field(default=8, ge=0, le=23, description="Local hour the greeting is due")
    window_end_hour: int = Field(default=10, ge=1, le=24, description="Not sent at or after this local hour")

    @model_validator(mode="after")
    def _window_after_send_hour(self) -> BirthdaySettings:
        if self.window_end_hour <= self.send_hour:
            raise ValueError("window_end_hour must be after send_hour")
        return self


SETTINGS_MODELS: dict[FlowName, type[FlowSettings]] = {
    FlowName.UNPAID_REMINDER: UnpaidReminderSettings,
    FlowName.PAYMENT_CONFIRMATION: PaymentConfirmationSettings,
    FlowName.SHIPPING_NOTICE: ShippingNoticeSettings,
    FlowName.DELAYED_SHIPMENT: DelayedShipmentSettings,
    FlowName.DELIVERY_NOTICE: DeliveryNoticeSettings,
    FlowName.REFUND_CARE: RefundCareSettings,
    FlowName.REVIEW_INVITE: ReviewInviteSettings,
    FlowName.CART_ABANDONMENT: CartAbandonmentSettings,
    FlowName.BROWSE_ABANDONMENT: BrowseAbandonmentSettings,
    FlowName.WIN_BACK: WinBackSettings,
    FlowName.BIRTHDAY: BirthdaySettings,
}


class FlowOverrides(BaseModel):
    """What a seller may store for the flows: checked in full, strictly, on every write."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    unpaid_reminder: UnpaidReminderSettings = Field(default_factory=UnpaidReminderSettings)
    payment_confirmation: PaymentConfirmationSettings = Field(default_factory=PaymentConfirmationSettings)
    shipping_notice: ShippingNoticeSettings = Field(default_factory=ShippingNoticeSettings)
    delayed_shipment: DelayedShipmentSettings = Field(default_factory=DelayedShipmentSettings)
    delivery_notice: DeliveryNoticeSettings = Field(default_factory=DeliveryNoticeSettings)
    refund_care: RefundCareSettings = Field(default_factory=RefundCareSettings)
    review_invite: ReviewInviteSettings = Field(default_factory=ReviewInviteSettings)
    cart_abandonment: CartAbandonmentSettings = Field(default_factory=CartAbandonmentSettings)
    browse_abandonment: BrowseAbandonmentSettings = Field(default_factory=BrowseAbandonmentSettings)
    win_back: WinBackSettings = Field(default_factory=WinBackSettings)
    birthday: BirthdaySettings = Field(default_factory=BirthdaySettings)


S = TypeVar("S", bound=FlowSettings)


class _Flow(Generic[S]):
    """FlowsConfig's typed attribute for one flow (`tenant.flows.win_back`)."""

    def __init__(self, flow: FlowName) -> None:
        self.flow = flow

    def __get__(self, flows: FlowsConfig, owner: type[FlowsConfig]) -> S:
        return cast(S, flows.of(self.flow))


class FlowsConfig:
    """Every flow's settings for one tenant, as the domain reads them. A flow's settings are built
    from the stored overrides on first use: an event touches one or two flows, and building all
    eleven validators was a tenth of a function's cold start."""

    unpaid_reminder = _Flow[UnpaidReminderSettings](FlowName.UNPAID_REMINDER)
    payment_confirmation = _Flow[PaymentConfirmationSettings](FlowName.PAYMENT_CONFIRMATION)
    shipping_notice = _Flow[ShippingNoticeSettings](FlowName.SHIPPING_NOTICE)
    delayed_shipment = _Flow[DelayedShipmentSettings](FlowName.DELAYED_SHIPMENT)
    delivery_notice = _Flow[DeliveryNoticeSettings](FlowName.DELIVERY_NOTICE)
    refund_care = _Flow[RefundCareSettings](FlowName.REFUND_CARE)
    review_invite = _Flow[ReviewInviteSettings](FlowName.REVIEW_INVITE)
    cart_abandonment = _Flow[CartAbandonmentSettings](FlowName.CART_ABANDONMENT)
    browse_abandonment = _Flow[BrowseAbandonmentSettings](FlowName.BROWSE_ABANDONMENT)
    win_back = _Flow[WinBackSettings](FlowName.WIN_BACK)
    birthday = _Flow[BirthdaySettings](FlowName.BIRTHDAY)

    def __init__(self, overrides: Mapping[str, Any] | None = None) -> None:
        self._stored = dict(overrides or {})
        self._built: dict[FlowName, FlowSettings] = {}  # no lock: two threads may build one twice, alike

    def of(self, flow: str) -> FlowSettings:
        name = FlowName(flow)
        built = self._built.get(name)
        if built is None:
            built = self._built[name] = self._build(name)
        return built

    def _build(self, name: FlowName) -> FlowSettings:
        model, stored = SETTINGS_MODELS[name], self._stored.get(name.value)
        return load_lenient(model, stored, f"{name.value} settings") if isinstance(stored, dict) else model()

    def priorities(self) -> dict[str, int]:
        """Marketing flows' priorities (lower wins a collision under caps)."""
        return {
            name: settings.priority for name in FlowName if isinstance(settings := self.of(name), MarketingFlowSettings)
        }

    @classmethod
    def validated(cls, overrides: Mapping[str, Any]) -> FlowsConfig:
        """Strict: for writes. Raises pydantic.ValidationError with field paths."""
        checked = FlowOverrides.model_validate(dict(overrides))
        flows = cls(overrides)
        flows._built = {name: getattr(checked, name.value) for name in FlowName}
        return flows

    @classmethod
    def loaded(cls, overrides: Mapping[str, Any] | None) -> FlowsConfig:
        """Lenient: for reads of stored overrides; each flow falls back field by field, when it
        is first read (a field that no longer validates is logged then)."""
        return cls(overrides)
