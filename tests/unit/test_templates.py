"""Seller-editable templates: locale resolution, amounts, overrides and the Jinja2 sandbox."""

from __future__ import annotations

import pytest

from huike.config.flows import UnpaidReminderSettings
from huike.core.errors import BadRequest
from huike.sending.templates import (
    DEFAULT_TEMPLATES,
    format_amount,
    missing_content,
    render,
    resolve_locale,
    template_source,
)

CONTEXT = {"shop": "Demo", "order_name": "#1001", "amount": "$409.94", "payment_link": "https://pay.example/1"}


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("zh", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("ZH-TW", "zh-CN"),
        ("zh-Hant-TW", "zh-CN"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("fr-FR", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_locale_resolution(hint, expected):
    assert resolve_locale(hint) == expected


def test_locale_resolution_takes_first_supported_hint():
    assert resolve_locale(None, "fr", "zh_CN", "en") == "zh-CN"
    assert resolve_locale("en-US", "zh") == "en"


@pytest.mark.parametrize(
    ("total", "currency", "locale", "expected"),
    [
        ("409.94", "USD", "en", "$409.94"),
        ("409.9", "usd", "en", "$409.90"),
        ("88", "CNY", "zh-CN", "¥88.00"),
        ("88", "CNY", "en", "CN¥88.00"),  # in English, the yuan is told apart from the yen
        ("12.5", "EUR", "en", "€12.50"),
        ("12.345", "KWD", "en", "KWD12.345"),  # three minor units
        ("1980", "JPY", "en", "¥1,980"),  # no minor units
        ("1234567.5", "USD", "en", "$1,234,567.50"),
        ("10", "XYZ", "en", "XYZ10.00"),
        ("10", None, "en", "10.00"),
        ("not-a-number", "USD", "en", "not-a-number"),
        ("NaN", "USD", "en", "NaN"),
        (None, "USD", "en", ""),
    ],
)
def test_amounts_follow_iso_4217_minor_units_and_the_recipients_locale(total, currency, locale, expected):
    assert format_amount(total, currency, locale) == expected


def test_default_template_renders_for_each_locale():
    english = render(template_source("unpaid_reminder", "en"), CONTEXT)
    assert english == "Demo: your order #1001 ($409.94) is waiting for payment. Complete it here: https://pay.example/1"
    chinese = render(template_source("unpaid_reminder", "zh-CN"), CONTEXT)
    assert chinese.startswith("【Demo】") and "#1001" in chinese and "https://pay.example/1" in chinese


def test_tenant_override_template_is_used_for_its_locale_only():
    overrides = {"templates": {"unpaid_reminder": {"zh-CN": "{{ shop }}：订单{{ order_name }}待付款"}}}
    zh = template_source("unpaid_reminder", "zh-CN", settings=UnpaidReminderSettings(**overrides))
    assert render(zh, CONTEXT) == "Demo：订单#1001待付款"
    en = template_source("unpaid_reminder", "en", settings=UnpaidReminderSettings(**overrides))
    assert en == DEFAULT_TEMPLATES["unpaid_reminder"]["en"]["text"]


def test_tenant_can_override_the_email_subject_alone():
    overrides = {"templates": {"unpaid_reminder": {"en": {"subject": "Pay {{ order_name }} today"}}}}
    assert (
        render(template_source("unpaid_reminder", "en", "subject", UnpaidReminderSettings(**overrides)), CONTEXT)
        == "Pay #1001 today"
    )
    text = template_source("unpaid_reminder", "en", "text", UnpaidReminderSettings(**overrides))
    assert text == DEFAULT_TEMPLATES["unpaid_reminder"]["en"]["text"]


def test_unsupported_locale_falls_back_to_english_default():
    assert template_source("unpaid_reminder", "fr") == DEFAULT_TEMPLATES["unpaid_reminder"]["en"]["text"]


def test_every_default_template_renders_in_both_locales():
    context = {
        **CONTEXT,
        "first_name": "Ann",
        "coupon": "SAVE10",
        "carrier": "UPS",
        "tracking_link": "https://t.example/1",
        "product": "Kettle",
        "review_link": "https://r.example",
        "cart_link": "https://c.example",
        "product_link": "https://p.example",
        "shop_link": "https://s.example",
    }
    for name, locales in DEFAULT_TEMPLATES.items():
        for locale in ("en", "zh-CN"):
            assert locale in locales, name
            for part in ("text", "subject"):
                assert render(template_source(name, locale, part), context), (name, locale, part)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ shop.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_blocks_unsafe_attribute_access(source):
    with pytest.raises(BadRequest, match=r"unsafe|undefined"):
        render(source, CONTEXT)


def test_undefined_variable_raises_bad_request():
    with pytest.raises(BadRequest, match="coupon_code"):
        render("Use {{ coupon_code }} at checkout", CONTEXT)


def test_syntax_error_raises_bad_request():
    with pytest.raises(BadRequest):
        render("{% if shop %}unclosed", CONTEXT)


def test_a_required_link_is_missing_only_where_the_template_refers_to_it():
    source = DEFAULT_TEMPLATES["win_back"]["en"]["text"]
    assert missing_content("win_back", (source,), {"shop_link": ""}) == ["shop_link"]
    assert missing_content("win_back", (source,), {"shop_link": "https://s.example"}) == []
    assert missing_content("win_back", ("{{ shop }}: come back soon",), {"shop_link": ""}) == []
    assert missing_content("payment_confirmation", ("{{ shop }}",), {}) == []


def test_the_second_win_back_touch_promises_an_offer_only_when_there_is_one():
    source = DEFAULT_TEMPLATES["win_back_final"]["en"]["text"]
    context = {"shop": "Demo", "shop_link": "https://s.example"}
    assert "offer" not in render(source, {**context, "coupon": ""})
    assert "one last offer before it expires: BACK10" in render(source, {**context, "coupon": "BACK10"})
