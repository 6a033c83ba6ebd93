"""Message templates: seller-editable Jinja2 in a sandbox, one per flow and locale."""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from typing import Any

from huike.errors import BadRequest

SUPPORTED_LOCALES = ("en", "zh-CN")

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "unpaid_reminder": {
        "en": (
            "{{ shop }}: your order {{ order_name }} ({{ amount }}) is waiting for payment. "
            "Complete it here: {{ payment_link }}"
        ),
        "zh-CN": "【{{ shop }}】您的订单{{ order_name }}（{{ amount }}）尚未付款，点击完成支付：{{ payment_link }}",
    },
}

CURRENCY_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


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


def format_amount(total: str | None, currency: str | None) -> str:
    if total is None:
        return ""
    try:
        value = Decimal(total).quantize(Decimal("0.01"))
    except InvalidOperation:
        return total
    symbol = CURRENCY_SYMBOLS.get((currency or "").upper())
    return f"{symbol}{value}" if symbol else f"{value} {currency or ''}".strip()


@functools.cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def template_source(flow: str, locale: str, overrides: dict[str, Any] | None = None) -> str:
    """The tenant's own template for the flow and locale, else Huike's default."""
    custom = ((overrides or {}).get("templates") or {}).get(locale)
    if custom:
        return str(custom)
    defaults = DEFAULT_TEMPLATES[flow]
    return defaults.get(locale) or defaults["en"]


def render(source: str, context: dict[str, Any]) -> str:
    """Render in the sandbox; a broken or unsafe template is the seller's input error."""
    from jinja2 import TemplateError

    try:
        return str(_environment().from_string(source).render(**context)).strip()
    except TemplateError as exc:
        raise BadRequest(f"template error: {exc}") from None
