"""Quiet hours in the recipient's local time (default 21:00-08:00), across days and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huike.core.zones import recipient_zone
from huike.sending.policy import quiet_hours_end

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC


def local(zone: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def test_just_before_quiet_hours_is_not_deferred():
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 20, 59), NEW_YORK) is None


def test_at_21h_local_defers_to_next_day_08h_local():
    end = quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 21, 0), NEW_YORK)
    assert end == local(NEW_YORK, 2026, 11, 24, 8, 0)


def test_after_midnight_defers_to_same_day_08h_local():
    end = quiet_hours_end(local(NEW_YORK, 2026, 11, 24, 2, 0), NEW_YORK)
    assert end == local(NEW_YORK, 2026, 11, 24, 8, 0)


def test_at_08h_local_quiet_hours_are_over():
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 24, 8, 0), NEW_YORK) is None


def test_utc_moment_is_judged_in_the_recipient_zone_and_answered_in_utc():
    # 02:00 UTC is 21:00 in New York (EST, UTC-5): quiet until 13:00 UTC.
    end = quiet_hours_end(dt.datetime(2026, 11, 24, 2, 0, tzinfo=UTC), NEW_YORK)
    assert end == dt.datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    assert end.utcoffset() == dt.timedelta(0)
    # The same instant is 10:00 in Shanghai: not quiet there.
    assert quiet_hours_end(dt.datetime(2026, 11, 24, 2, 0, tzinfo=UTC), ZoneInfo("Asia/Shanghai")) is None


def test_deferral_across_fall_back_ends_at_08h_local_wall_time():
    # 22:00 EDT on 31 Oct 2026 = 02:00 UTC; clocks go back at 02:00 EDT on 1 Nov.
    moment = dt.datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    end = quiet_hours_end(moment, NEW_YORK)
    assert end == dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # 08:00 EST, not 12:00 UTC (08:00 EDT)
    assert end.astimezone(NEW_YORK).time() == dt.time(8, 0)
    assert end - moment == dt.timedelta(hours=11)


def test_deferral_across_spring_forward_ends_at_08h_local_wall_time():
    moment = dt.datetime(2026, 3, 8, 2, 0, tzinfo=UTC)  # 21:00 EST on 7 Mar
    end = quiet_hours_end(moment, NEW_YORK)
    assert end == dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert end - moment == dt.timedelta(hours=10)


def test_window_that_does_not_cross_midnight():
    start, stop = dt.time(12, 0), dt.time(14, 0)
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 11, 59), NEW_YORK, start, stop) is None
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 12, 0), NEW_YORK, start, stop) == local(
        NEW_YORK, 2026, 11, 23, 14, 0
    )
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 13, 30), NEW_YORK, start, stop) == local(
        NEW_YORK, 2026, 11, 23, 14, 0
    )
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 14, 0), NEW_YORK, start, stop) is None
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 23, 0), NEW_YORK, start, stop) is None


def test_empty_window_never_defers():
    same = dt.time(9, 0)
    assert quiet_hours_end(local(NEW_YORK, 2026, 11, 23, 9, 0), NEW_YORK, same, same) is None


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("Europe/Paris", "Asia/Shanghai", "America/New_York"), "Europe/Paris"),
        ((None, "Asia/Shanghai", "America/New_York"), "Asia/Shanghai"),
        ((None, None, "America/New_York"), "America/New_York"),
        (("Not/AZone", "", "America/New_York"), "America/New_York"),
        (("../../etc/passwd", "Mars/Olympus_Mons", "Asia/Tokyo"), "Asia/Tokyo"),
        ((None, None, None), "UTC"),
        (("garbage", None, "also garbage"), "UTC"),
    ],
)
def test_recipient_zone_is_first_valid_of_customer_phone_tenant(candidates, expected):
    assert recipient_zone(*candidates) == ZoneInfo(expected)


@pytest.mark.parametrize("bad_name", ["America", "x" * 300])
def test_recipient_zone_skips_names_that_are_not_zone_files(bad_name):
    assert recipient_zone(bad_name, None, "America/New_York") == NEW_YORK


ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Shanghai", "Australia/Lord_Howe", "UTC"]


@given(
    moment=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(UTC)),
    zone_name=st.sampled_from(ZONES),
)
def test_quiet_hours_end_property(moment, zone_name):
    zone = ZoneInfo(zone_name)
    local_time = moment.astimezone(zone).time()
    end = quiet_hours_end(moment, zone)
    inside = local_time >= dt.time(21, 0) or local_time < dt.time(8, 0)
    assert (end is not None) == inside
    if end is None:
        return
    assert end > moment
    assert end.astimezone(zone).time() == dt.time(8, 0)
    # 11 h of wall time at most; in elapsed time a DST change inside the window can add its shift.
    dst_shift = abs(moment.astimezone(zone).utcoffset() - end.astimezone(zone).utcoffset())
    assert end - moment <= dt.timedelta(hours=11) + dst_shift
    assert dst_shift <= dt.timedelta(hours=1)
