"""SMS encoding and segment counts as carriers bill them (3GPP TS 23.038 / 23.040)."""

from __future__ import annotations

import pytest

from huike.sending.segments import sms_encoding


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),  # 153 septets per part once a header is needed
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # an extension character takes an escape and a septet
        ("€" * 81, "GSM-7", 162, 2),
        ("é" * 160, "GSM-7", 160, 1),  # in the GSM alphabet
        ("ê" + "a" * 69, "UCS-2", 70, 1),  # not in it: the whole message becomes UCS-2
        ("ê" + "a" * 70, "UCS-2", 71, 2),
        ("你好" * 67, "UCS-2", 134, 2),
        ("😀" * 35, "UCS-2", 70, 1),  # an emoji is two UTF-16 units
    ],
)
def test_encoding_and_segments(text, encoding, units, segments):
    result = sms_encoding(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)
    assert result.characters == len(text)


def test_the_characters_that_forced_ucs2_are_named_once_each():
    assert sms_encoding("Hi ✓ there ✓ 😀").non_gsm_characters == ("✓", "😀")
    assert sms_encoding("Plain [text] {with} ~ext~").non_gsm_characters == ()
