"""The seller API's pure parts: JSON merge patch (RFC 7396) and opaque cursors."""

from __future__ import annotations

import pytest

from huike.core.errors import BadRequest
from huike.seller.paging import decode_cursor, encode_cursor
from huike.seller.settings import merge_patch


def test_a_merge_patch_changes_only_what_it_names_and_null_removes():
    current = {"timezone": "UTC", "quiet_hours": {"start": "21:00", "end": "08:00"}, "links": {"shop_url": "x"}}
    patch = {"quiet_hours": {"start": "22:00"}, "links": None, "country": "CN"}
    assert merge_patch(current, patch) == {
        "timezone": "UTC",
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "country": "CN",
    }
    assert current["quiet_hours"]["start"] == "21:00", "the current settings are not modified"


def test_a_patch_that_is_not_an_object_replaces_the_value():
    assert merge_patch({"channels": ["sms"]}, {"channels": ["email", "sms"]}) == {"channels": ["email", "sms"]}


def test_a_cursor_round_trips_and_reveals_no_structure_to_a_caller():
    cursor = encode_cursor({"send_key": "unpaid_reminder#shopify-1#1"})
    assert "#" not in cursor and "=" not in cursor
    assert decode_cursor(cursor, "send_key") == "unpaid_reminder#shopify-1#1"


@pytest.mark.parametrize("cursor", ["not-ours", "e30", encode_cursor({"other": "x"}), "%%%"])
def test_a_cursor_this_api_did_not_return_is_400(cursor):
    with pytest.raises(BadRequest, match="cursor"):
        decode_cursor(cursor, "send_key")
