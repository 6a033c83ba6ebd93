"""Message templates: seller-editable Jinja2 in a sandbox, one per flow and locale."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from huike.config.flows import FlowSettings
from huike.core.errors import BadRequest

SUPPORTED_LOCALES = ("en", "zh-CN")


@dataclass(frozen=True)
class Money:
    """An amount in a message, formatted in the recipient's locale when the message is rendered."""

    total: str | None
    currency: str | None


# Huike's default wording per template and locale: "text" is the SMS/MMS body and the plain-text
# email body, "subject" the email subject. Sellers override either per locale (tenant flows), and
# may give email a body of its own ("email_text").
DEFAULT_TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "unpaid_reminder": {
        "en": {
            "subject": "Your order {{ order_name }} is waiting for payment",
            "text": "{{ shop }}: your order {{ order_name }} ({{ amount }}) is waiting for payment. "
            "Complete it here: {{ payment_link }}",
        },
        "zh-CN": {
            "subject": "您的订单{{ order_name }}尚未付款",
            "text": "【{{ shop }}】您的订单{{ order_name }}（{{ amount }}）尚未付款，点击完成支付：{{ payment_link }}",
        },
    },
    "unpaid_reminder_final": {
        "en": {
            "subject": "Last chance to complete order {{ order_name }}",
            "text": "{{ shop }}: order {{ order_name }} ({{ amount }}) closes soon. Pay now to keep it: {{ payment_link }}",
        },
        "zh-CN": {
            "subject": "订单{{ order_name }}即将关闭",
            "text": "【{{ shop }}】订单{{ order_name }}（{{ amount }}）即将自动关闭，请尽快支付：{{ payment_link }}",
        },
    },
    "payment_confirmation": {
        "en": {
            "subject": "Payment received for order {{ order_name }}",
            "text": "{{ shop }}: thank you{% if first_name %} {{ first_name }}{% endif %}! "
            "We received {{ amount }} for order {{ order_name }} and are preparing it.",
        },
        "zh-CN": {
            "subject": "订单{{ order_name }}付款成功",
            "text": "【{{ shop }}】{% if first_name %}{{ first_name }}，{% endif %}您的订单{{ order_name }}已付款{{ amount }}，"
            "我们正在为您备货。",
        },
    },
    "shipping_notice": {
        "en": {
            "subject": "Order {{ order_name }} has shipped",
            "text": "{{ shop }}: order {{ order_name }} has shipped{% if carrier %} with {{ carrier }}{% endif %}."
            "{% if tracking_link %} Track it: {{ tracking_link }}{% endif %}",
        },
        "zh-CN": {
            "subject": "订单{{ order_name }}已发货",
            "text": "【{{ shop }}】您的订单{{ order_name }}已发货{% if carrier %}（{{ carrier }}）{% endif %}。"
            "{% if tracking_link %}物流查询：{{ tracking_link }}{% endif %}",
        },
    },
    "delayed_shipment": {
        "en": {
            "subject": "Sorry, order {{ order_name }} is running late",
            "text": "{{ shop }}: sorry, order {{ order_name }} is taking longer than promised to ship. "
            "We'll send the tracking link as soon as it leaves.",
        },
        "zh-CN": {
            "subject": "订单{{ order_name }}发货延迟致歉",
            "text": "【{{ shop }}】抱歉，您的订单{{ order_name }}未能按承诺时间发货，我们正在加急处理，发货后第一时间通知您。",
        },
    },
    "delivery_notice": {
        "en": {
            "subject": "Order {{ order_name }} was delivered",
            "text": "{{ shop }}: order {{ order_name }} has been delivered. Enjoy!",
        },
        "zh-CN": {
            "subject": "订单{{ order_name }}已签收",
            "text": "【{{ shop }}】您的订单{{ order_name }}已签收，祝您使用愉快！",
        },
    },
    "refund_care": {
        "en": {
            "subject": "Your refund for order {{ order_name }}",
            "text": "{{ shop }}: your refund for order {{ order_name }} is on its way. "
            "Sorry it didn't work out; reply to this message if we can help.",
        },
        "zh-CN": {
            "subject": "订单{{ order_name }}退款通知",
            "text": "【{{ shop }}】您的订单{{ order_name }}退款已处理，如有任何问题请回复此消息。",
        },
    },
    "review_invite": {
        "en": {
            "subject": "How is your {{ product }}?",
            "text": "{{ shop }}: how is your {{ product }}? Tell us in a quick review: {{ review_link }}"
            "{% if coupon %} (thank-you code: {{ coupon }}){% endif %}",
        },
        "zh-CN": {
            "subject": "您的{{ product }}用得怎么样？",
            "text": "【{{ shop }}】您的{{ product }}用得怎么样？欢迎评价：{{ review_link }}"
            "{% if coupon %}（感谢码：{{ coupon }}）{% endif %}",
        },
    },
    "cart_abandonment": {
        "en": {
            "subject": "You left something in your cart",
            "text": "{{ shop }}: you left {{ product }}{% if amount %} ({{ amount }}){% endif %} in your cart. "
            "Complete your order: {{ cart_link }}{% if coupon %} Use {{ coupon }} at checkout.{% endif %}",
        },
        "zh-CN": {
            "subject": "您的购物车还有商品",
            "text": "【{{ shop }}】您的购物车还有{{ product }}{% if amount %}（{{ amount }}）{% endif %}未结算："
            "{{ cart_link }}{% if coupon %} 下单使用优惠码{{ coupon }}{% endif %}",
        },
    },
    "browse_abandonment": {
        "en": {
            "subject": "Still thinking about {{ product }}?",
            "text": "{{ shop }}: still thinking about {{ product }}? Take another look: {{ product_link }}",
        },
        "zh-CN": {
            "subject": "还在考虑{{ product }}吗？",
            "text": "【{{ shop }}】还在考虑{{ product }}吗？再看看：{{ product_link }}",
        },
    },
    "win_back": {
        "en": {
            "subject": "We miss you{% if first_name %}, {{ first_name }}{% endif %}",
            "text": "{{ shop }}: we miss you{% if first_name %}, {{ first_name }}{% endif %}! "
            "Come back for something new{% if coupon %} with {{ coupon }}{% endif %}: {{ shop_link }}",
        },
        "zh-CN": {
            "subject": "好久不见{% if first_name %}，{{ first_name }}{% endif %}",
            "text": "【{{ shop }}】好久不见！上新了{% if coupon %}，专属优惠码{{ coupon }}{% endif %}：{{ shop_link }}",
        },
    },
    "win_back_final": {
        "en": {
            "subject": "{% if coupon %}A last offer for you{% else %}We'd love to see you again{% endif %}",
            "text": "{{ shop }}: {% if coupon %}one last offer before it expires: {{ coupon }}"
            "{% else %}we'd love to see you again{% endif %}. {{ shop_link }}",
        },
        "zh-CN": {
            "subject": "{% if coupon %}最后的专属优惠{% else %}期待您再次光临{% endif %}",
            "text": "【{{ shop }}】{% if coupon %}专属优惠即将到期：{{ coupon }}{% else %}期待您再次光临{% endif %}。{{ shop_link }}",
        },
    },
    "birthday": {
        "en": {
            "subject": "Happy birthday{% if first_name %}, {{ first_name }}{% endif %}!",
            "text": "{{ shop }}: happy birthday{% if first_name %}, {{ first_name }}{% endif %}! "
            "A gift for you{% if coupon %}: {{ coupon }}{% endif %}.",
        },
        "zh-CN": {
            "subject": "生日快乐{% if first_name %}，{{ first_name }}{% endif %}！",
            "text": "【{{ shop }}】生日快乐！送您一份生日礼{% if coupon %}：{{ coupon }}{% endif %}。",
        },
    },
}


# The variables each template is rendered with (every one also gets shop, first_name and coupon).
COMMON_VARIABLES = ("shop", "first_name", "coupon")
_ORDER_VARIABLES = ("order_name", "amount", "payment_link", "tracking_link", "tracking_number", "carrier", "product")
TEMPLATE_VARIABLES: dict[str, tuple[str, ...]] = {
    **{
        name: _ORDER_VARIABLES
        for name in (
            "unpaid_reminder",
            "unpaid_reminder_final",
            "payment_confirmation",
            "shipping_notice",
            "delayed_shipment",
            "delivery_notice",
            "refund_care",
        )
    },
    "review_invite": (*_ORDER_VARIABLES, "review_link"),
    "cart_abandonment": ("cart_link", "product", "amount"),
    "browse_abandonment": ("product", "product_link"),
    "win_back": ("shop_link",),
    "win_back_final": ("shop_link",),
    "birthday": (),
}
# What a preview without a real customer or order renders with.
SAMPLE_VALUES: dict[str, Any] = {
    "first_name": "Ann",
    "coupon": "",
    "order_name": "#1001",
    "amount": Money("25.00", "USD"),
    "payment_link": "https://shop.example.com/pay/1001",
    "tracking_link": "https://track.example.com/1Z999",
    "tracking_number": "1Z999",
    "carrier": "UPS",
    "product": "Linen shirt",
    "review_link": "https://shop.example.com/review/1001",
    "cart_link": "https://shop.example.com/cart/recover",
    "product_link": "https://shop.example.com/products/linen-shirt",
    "shop_link": "https://shop.example.com",
}


def template_problems(template: str, source: str, context: dict[str, Any]) -> list[str]:
    """Why `source` would not render at send time: its syntax, each variable this template is
    never given, or a construct the sandbox refuses while rendering with `context`."""
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        referred = _referenced(source)
    except TemplateSyntaxError as exc:
        return [f"syntax error on line {exc.lineno}: {exc.message}"]
    known = {*COMMON_VARIABLES, *TEMPLATE_VARIABLES.get(template, ())}
    undefined = sorted(referred - known)
    if undefined:
        offered = ", ".join(sorted(known))
        return [f"undefined variable {name!r} (this template has: {offered})" for name in undefined]
    try:
        _compiled(source).render(**context)
    except TemplateError as exc:
        return [f"{type(exc).__name__}: {exc}"]
    return []


def sample_context(template: str, shop: str, coupon: str | None) -> dict[str, Any]:
    """The values a template is previewed and checked with when no real order is given."""
    variables = TEMPLATE_VARIABLES[template]
    context = {name: value for name, value in SAMPLE_VALUES.items() if name in variables or name == "first_name"}
    return {**context, "shop": shop, "coupon": coupon or ""}


def wording_problems(settings: FlowSettings, shop: str) -> list[tuple[tuple[str, ...], str]]:
    """Every saved wording of a flow that would not render, as (field path, problem)."""
    problems: list[tuple[tuple[str, ...], str]] = []
    for name, locales in settings.templates.items():
        for locale, wording in locales.items():
            context = localise(sample_context(name, shop, settings.coupon), locale)
            for part, source in wording.model_dump(exclude_none=True).items():
                problems += [(("templates", name, locale, part), p) for p in template_problems(name, source, context)]
    return problems


# What a message is broken without: the link the buyer acts on. Checked only where the template in
# use refers to it (a seller's own wording may leave it out).
REQUIRED_CONTENT: dict[str, tuple[str, ...]] = {
    "unpaid_reminder": ("payment_link",),
    "unpaid_reminder_final": ("payment_link",),
    "review_invite": ("review_link",),
    "cart_abandonment": ("cart_link",),
    "browse_abandonment": ("product_link",),
    "win_back": ("shop_link",),
    "win_back_final": ("shop_link",),
}


def missing_content(template: str, sources: tuple[str, ...], context: dict[str, Any]) -> list[str]:
    """Required fields the template refers to that the message would go out without."""
    referred: set[str] = set().union(*(_referenced(source) for source in sources))
    return [name for name in REQUIRED_CONTENT.get(template, ()) if name in referred and not context.get(name)]


UNSUBSCRIBE_LINE = {"en": "Unsubscribe: {url}", "zh-CN": "退订：{url}"}


def marketing_email_footer(locale: str, unsubscribe_url: str | None, postal_address: str | None) -> str:
    """What CAN-SPAM and the mailbox providers ask of marketing email, visible in its body."""
    lines = []
    if unsubscribe_url:
        lines.append(UNSUBSCRIBE_LINE.get(locale, UNSUBSCRIBE_LINE["en"]).format(url=unsubscribe_url))
    if postal_address:
        lines.append(postal_address)
    return "\n".join(lines)


def resolve_locale(*candidates: str | None) -> str:
    for candidate in candidates:
        if not candidate:
            continue
        lowered = candidate.replace("_", "-").lower()
        if lowered.startswith("zh"):
            return "zh-CN"
        if lowered.startswith("en"):
            return "en"
    return "en"


def format_amount(total: str | None, currency: str | None, locale: str = "en") -> str:
    """By ISO 4217 minor units and the locale's conventions (Babel): KWD 12.345 keeps three
    decimals, JPY 1980 none; "$409.94" in English, "¥88.00" for CNY in Chinese."""
    if total is None:
        return ""
    from babel.numbers import format_currency, format_decimal

    try:
        value = Decimal(total)
    except InvalidOperation:
        return total
    if not value.is_finite():
        return total
    babel_locale = locale.replace("-", "_")
    if not currency:
        return str(format_decimal(value, format="#,##0.00", locale=babel_locale))
    return str(format_currency(value, currency.upper(), locale=babel_locale))


def localise(context: dict[str, Any], locale: str) -> dict[str, Any]:
    """The template context with its Money values formatted for the recipient's locale."""
    return {
        key: format_amount(value.total, value.currency, locale) if isinstance(value, Money) else value
        for key, value in context.items()
    }


@functools.cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


# Every send renders a few sources over and over: compile (and read) each once per container.
@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Any:
    return _environment().from_string(source)


@functools.lru_cache(maxsize=512)
def _referenced(source: str) -> frozenset[str]:
    from jinja2 import meta

    return frozenset(meta.find_undeclared_variables(_environment().parse(source)))


def template_source(template: str, locale: str, part: str = "text", settings: FlowSettings | None = None) -> str:
    """The tenant's own template for the flow, locale and part, else Huike's default."""
    custom = settings.template_override(template, locale, part) if settings is not None else None
    if custom:
        return custom
    if part == "email_text":  # email's own body, when the seller wrote one; else the shared text
        return template_source(template, locale, "text", settings)
    defaults = DEFAULT_TEMPLATES[template]
    return (defaults.get(locale) or defaults["en"])[part]


def render(source: str, context: dict[str, Any]) -> str:
    """Render in the sandbox; a broken or unsafe template is the seller's input error."""
    from jinja2 import TemplateError

    try:
        return str(_compiled(source).render(**context)).strip()
    except TemplateError as exc:
        raise BadRequest(f"template error: {exc}") from None
