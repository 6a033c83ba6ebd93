"""Contact normalisation: phones to E.164 in the address country, emails via email-validator."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huike.customers.identity import normalise_email, normalise_phone

GB_ZONES = {"Europe/London", "Europe/Guernsey", "Europe/Jersey", "Europe/Isle_of_Man"}


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(502) 555-0134", "US", "+15025550134"),
        ("502.555.0134", "us", "+15025550134"),
        ("13800138000", "CN", "+8613800138000"),
        ("+86 138 0013 8000", "US", "+8613800138000"),
        ("+1 415-555-2671", "CN", "+14155552671"),
        ("+44 7911 123456", None, "+447911123456"),
    ],
)
def test_phone_is_normalised_to_e164_in_the_address_country(raw, region, e164):
    phone = normalise_phone(raw, region)
    assert phone is not None
    assert phone.e164 == e164
    assert phone.value == e164
    assert phone.textable


def test_national_number_depends_on_the_region():
    # The same digits are a CN mobile in China and not a valid US number.
    assert normalise_phone("13800138000", "CN").textable
    assert not normalise_phone("13800138000", "US").textable


@pytest.mark.parametrize(
    ("raw", "region"),
    [("555-625-1199", "US"), ("call me maybe", "US"), ("12345", "CN"), ("5025550134", None)],
)
def test_invalid_phone_is_kept_raw_but_not_textable(raw, region):
    phone = normalise_phone(f"  {raw} ", region)
    assert phone is not None
    assert phone.e164 is None
    assert not phone.textable
    assert phone.value == raw
    assert phone.timezone is None


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_phone_is_none(raw):
    assert normalise_phone(raw, "US") is None


def test_phone_time_zone_from_an_unambiguous_us_area_code():
    assert normalise_phone("+1 415 555 2671", None).timezone == "America/Los_Angeles"
    assert normalise_phone("(502) 555-0134", "US").timezone == "America/New_York"


def test_gb_mobile_gets_a_single_offset_zone():
    zone = normalise_phone("07911 123456", "GB").timezone
    assert zone in GB_ZONES
    for month in (1, 7):
        moment = dt.datetime(2026, month, 15, 12, tzinfo=dt.UTC)
        assert moment.astimezone(ZoneInfo(zone)).utcoffset() == moment.astimezone(ZoneInfo("Europe/London")).utcoffset()


def test_phone_zone_ambiguous_for_part_of_the_year_is_not_guessed(monkeypatch):
    def zone_when_parsed_on(frozen: dt.datetime) -> str | None:
        class FrozenDatetime(dt.datetime):
            @classmethod
            def now(cls, tz=None):
                return frozen.astimezone(tz) if tz else frozen.replace(tzinfo=None)

        with monkeypatch.context() as patch:
            patch.setattr(dt, "datetime", FrozenDatetime)
            return normalise_phone("(928) 283-4567", "US").timezone

    winter = zone_when_parsed_on(dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC))
    summer = zone_when_parsed_on(dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC))
    assert (winter, summer) == (None, None)


def test_email_is_lower_cased_whole():
    email = normalise_email("  Bob.Norman@EXAMPLE.COM ")
    assert email.valid
    assert email.value == "bob.norman@example.com"


@pytest.mark.parametrize("raw", ["not-an-email", "bob@", "@example.com", "bob@@example.com", "bob@exa mple.com"])
def test_invalid_email_is_kept_but_marked_invalid(raw):
    email = normalise_email(raw)
    assert email is not None
    assert not email.valid
    assert email.value == raw


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_blank_email_is_none(raw):
    assert normalise_email(raw) is None


@given(
    raw=st.one_of(st.none(), st.text(), st.from_regex(r"\+?[0-9 ()\-.]{0,25}", fullmatch=True)),
    region=st.one_of(st.none(), st.sampled_from(["US", "CN", "GB", "gb", "ZZ", "USA", ""]), st.text(max_size=3)),
)
def test_normalise_phone_never_raises_and_only_textable_numbers_are_e164(raw, region):
    phone = normalise_phone(raw, region)
    if phone is None:
        assert raw is None or not raw.strip()
        return
    assert phone.value == (phone.e164 or raw.strip())
    if phone.textable:
        assert phone.e164 is not None and phone.e164.startswith("+")
    if phone.e164 is None:
        assert not phone.textable and phone.timezone is None


@given(raw=st.one_of(st.none(), st.text(), st.emails()))
def test_normalise_email_never_raises(raw):
    email = normalise_email(raw)
    if email is None:
        assert raw is None or not raw.strip()
    else:
        assert email.value == (email.normalized or raw.strip())
