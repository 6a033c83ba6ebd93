"""Business keys: one format each, in one module."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from huike.core import keys
from huike.core.enums import FlowName

LAYER = Path(__file__).resolve().parents[2] / "layers" / "huike" / "python" / "huike"


def test_send_and_reservation_keys_share_their_prefix_and_name_their_flow():
    send = keys.send_key(FlowName.WIN_BACK, keys.win_back_subject("c-1", "o-9"), "2")
    assert send == "win_back#c-1:o-9#2"
    assert send.startswith(keys.send_key_prefix(FlowName.WIN_BACK, "c-1:o-9"))
    assert keys.reservation_key(FlowName.WIN_BACK, "c-1:o-9") == "win_back#c-1:o-9"
    assert keys.flow_of(send) == keys.flow_of(keys.reservation_key(FlowName.WIN_BACK, "c-1:o-9")) == "win_back"


def test_contact_customer_ids_are_keyed_pseudonyms_of_the_phone_else_the_lower_cased_email():
    by_phone = keys.contact_customer_id("+15025550134", "A@B.com", "tenant-key")
    assert by_phone.startswith("phone-") and "5025550134" not in by_phone
    assert by_phone == keys.contact_customer_id("+15025550134", None, "tenant-key")  # stable
    assert by_phone != keys.contact_customer_id("+15025550134", None, "another-tenant-key")
    assert keys.contact_customer_id(None, "A@B.com", "k") == keys.contact_customer_id(None, "a@b.com", "k")
    assert "a@b.com" not in str(keys.contact_customer_id(None, "A@B.com", "k"))
    assert keys.contact_customer_id(None, None, "k") is None
    assert keys.erased_address("Ann@Example.com", "k") == keys.erased_address("ann@example.com", "k")


def test_consent_entries_sort_by_subject_then_time():
    early = keys.consent_entry_id("c-1", "2026-01-01T00:00:00Z", "sms", "a")
    late = keys.consent_entry_id("c-1", "2026-06-01T00:00:00Z", "email", "b")
    assert early < late and early.startswith(keys.consent_history_prefix("c-1"))
    assert keys.consent_subject(None, "+15025550134") == "address-+15025550134"


def test_steps_by_day_and_year():
    moment = dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC)
    assert (keys.day_step(moment), keys.year_step(moment.year)) == ("20261123", "2026")


@given(st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=4))
def test_execution_names_are_valid_and_deterministic(parts):
    name = keys.execution_name(*parts)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name)
    assert name == keys.execution_name(*parts)


def test_no_business_key_is_formatted_outside_the_keys_module():
    """A '#'-joined f-string is how a key is built; only core/keys.py may build one."""
    key_format = re.compile(r"f\"\{[^\"]*\}#\{")
    offenders = [
        str(path.relative_to(LAYER))
        for path in LAYER.rglob("*.py")
        if path.name != "keys.py" and key_format.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
