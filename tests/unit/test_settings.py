"""Typed tenant and flow settings: refused with field paths on write, never a crash on load."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from pydantic import ValidationError

from huike.config.env import Environment, FlowTaskEnvironment, WebhookEnvironment
from huike.config.flows import FlowsConfig, UnpaidReminderSettings
from huike.config.tenant import TenantSettings
from huike.config.validation import load_lenient
from huike.core.enums import Channel, FlowName, Purpose

TABLES = {
    "TENANTS_TABLE": "t",
    "CUSTOMERS_TABLE": "c",
    "ORDERS_TABLE": "o",
    "SEND_LEDGER_TABLE": "s",
    "CARTS_TABLE": "ca",
    "SUPPRESSIONS_TABLE": "su",
    "CONSENT_LEDGER_TABLE": "cl",
    "API_KEYS_TABLE": "keys",
    "AUDIT_TABLE": "audit",
    "USAGE_TABLE": "usage",
    "INSIGHTS_TABLE": "insights",
    "IDENTITIES_TABLE": "identities",
    "TAG_MEMBERS_TABLE": "tag-members",
    "AGENDA_TABLE": "agenda",
    "IMPORTS_TABLE": "imports",
    "IMPORTS_BUCKET": "huike-imports",
}


def error_paths(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in exc.value.errors()}


# -- tenant settings ----------------------------------------------------------------------------
def test_defaults_are_the_briefs_send_policy():
    settings = TenantSettings()
    assert (settings.quiet_hours.start, settings.quiet_hours.end) == (dt.time(21), dt.time(8))
    assert settings.quiet_hours.transactional is True
    assert (settings.caps.sms_hours, settings.caps.email_hours, settings.caps.weekly) == (24, 16, 3)
    assert settings.caps.window(Channel.MMS) == dt.timedelta(hours=24)  # MMS counts with SMS
    assert settings.opt_out_text("zh-CN") == "回T退订"
    assert settings.opt_out_text("fr") == "Reply STOP to opt out"


def test_bad_tenant_settings_are_refused_with_the_path_of_each_field():
    with pytest.raises(ValidationError) as refused:
        TenantSettings.model_validate(
            {
                "timezone": "Mars/Olympus",
                "country": "usa",
                "quiet_hours": {"start": "25:00"},
                "caps": {"weekly": -1},
                "sender": {"email": "not-an-address", "sms_number": "5025550134"},
                "links": {"shop_url": "javascript:alert(1)"},
                "colour": "red",
            }
        )
    assert error_paths(refused) == {
        "timezone",
        "country",
        "quiet_hours.start",
        "caps.weekly",
        "sender.email",
        "sender.sms_number",
        "links.shop_url",
        "colour",
    }


def test_a_sender_address_is_normalised_when_written_and_read_back_as_stored():
    written = TenantSettings.model_validate({"sender": {"email": "Orders@SHOP.Example"}})
    assert written.sender.email == "Orders@shop.example"  # the domain part is lower-cased on write
    stored = written.model_dump(mode="json")
    assert load_lenient(TenantSettings, stored, "tenant settings").sender.email == "Orders@shop.example"
    # A load does not check the address again: the write did (email_validator stays unloaded).
    assert load_lenient(TenantSettings, {"sender": {"email": "Orders@SHOP.Example"}}, "t").sender.email == (
        "Orders@SHOP.Example"
    )


def test_opt_out_texts_must_cover_every_locale():
    with pytest.raises(ValidationError, match="zh-CN"):
        TenantSettings.model_validate({"opt_out_texts": {"en": "Text STOP to end"}})


# -- flow settings ------------------------------------------------------------------------------
def test_every_flow_has_settings_with_its_purpose_and_marketing_priorities_in_the_default_order():
    flows = FlowsConfig()
    assert {name: flows.of(name).purpose for name in FlowName}[FlowName.REVIEW_INVITE] is Purpose.MARKETING
    assert flows.of(FlowName.UNPAID_REMINDER).purpose is Purpose.TRANSACTIONAL
    ranked = sorted(flows.priorities(), key=flows.priorities().__getitem__)
    assert ranked == ["cart_abandonment", "review_invite", "win_back", "browse_abandonment", "birthday"]


def test_bad_flow_settings_are_refused_with_the_path_of_each_field():
    with pytest.raises(ValidationError) as refused:
        FlowsConfig.validated(
            {
                "unpaid_reminder": {"delay_minutes": 0, "channels": []},
                "cart_abandonment": {"channels": ["sms", "sms"], "priority": 0},
                "birthday": {"send_hour": 11, "window_end_hour": 10},
                "win_back": {"templates": {"win_back": {"en": "{{ broken"}}},
                "review_invite": {"templates": {"unknown_template": {"en": "hi"}}},
                "carrier_pigeon": {},
            }
        )
    paths = error_paths(refused)
    assert {
        "unpaid_reminder.delay_minutes",
        "unpaid_reminder.channels",
        "cart_abandonment.channels",
        "cart_abandonment.priority",
        "birthday",
        "win_back.templates.win_back.en.text",
        "review_invite",
        "carrier_pigeon",
    } <= paths


def test_a_text_template_shorthand_and_an_override_per_locale():
    settings = UnpaidReminderSettings.model_validate({"templates": {"unpaid_reminder": {"zh-CN": "请付款"}}})
    assert settings.template_override("unpaid_reminder", "zh-CN", "text") == "请付款"
    assert settings.template_override("unpaid_reminder", "zh-CN", "subject") is None
    assert settings.template_override("unpaid_reminder", "en", "text") is None


def test_a_stored_value_that_no_longer_validates_falls_back_to_its_default_and_is_logged(caplog):
    stored = {"unpaid_reminder": {"delay_minutes": "soon", "second_touch": True}, "win_back": "garbage"}
    with caplog.at_level(logging.WARNING, logger="huike.config"):
        flows = FlowsConfig.loaded(stored)
        assert flows.unpaid_reminder.delay_minutes == 30  # the default, when the flow is first read
    assert flows.unpaid_reminder.second_touch is True  # the seller's valid choice is kept
    assert flows.win_back == FlowsConfig().win_back
    assert "delay_minutes" in caplog.text


def test_lenient_loading_never_raises_on_tenant_settings(caplog):
    with caplog.at_level(logging.WARNING, logger="huike.config"):
        settings = load_lenient(TenantSettings, {"timezone": "Nowhere/Else", "locale": "zh-CN"}, "tenant settings")
    assert (settings.timezone, settings.locale) == ("UTC", "zh-CN")
    assert "timezone" in caplog.text


# -- each function's environment ------------------------------------------------------------------
def test_optional_names_are_none_never_empty_strings():
    environment = Environment.model_validate({**TABLES, "TIMED_FLOW_STATE_MACHINE_ARN": "", "PUBLIC_BASE_URL": ""})
    assert environment.timed_flow_state_machine_arn is None
    assert environment.public_base_url is None


def test_each_function_requires_what_it_uses():
    with pytest.raises(ValidationError) as refused:
        WebhookEnvironment.model_validate({**TABLES, "IDEMPOTENCY_TABLE": ""})
    assert error_paths(refused) == {"IDEMPOTENCY_TABLE", "TIMED_FLOW_STATE_MACHINE_ARN"}
    FlowTaskEnvironment.model_validate(TABLES)  # the flow task is given no ARN (it runs on one)
    with pytest.raises(ValidationError, match="ORDERS_TABLE"):
        FlowTaskEnvironment.model_validate({k: v for k, v in TABLES.items() if k != "ORDERS_TABLE"})
