"""How an SMS body is encoded and billed: GSM 03.38 (7-bit) when every character is in the GSM
alphabet, UCS-2 otherwise; a long message is split into segments that each carry a header, and
every segment is billed as one message."""

from __future__ import annotations

from dataclasses import dataclass

# 3GPP TS 23.038 basic character set (one septet each) and its extension table (escape + one).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# (single message, each part of a concatenated message): septets for GSM-7, UTF-16 units for UCS-2.
GSM7_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)


@dataclass(frozen=True)
class SmsEncoding:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # as the buyer reads them
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2) on the wire
    segments: int
    non_gsm_characters: tuple[str, ...] = ()  # what forced UCS-2, so a seller can replace it

    def as_dict(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "characters": self.characters,
            "units": self.units,
            "segments": self.segments,
            "non_gsm_characters": list(self.non_gsm_characters),
        }


def sms_encoding(text: str) -> SmsEncoding:
    outside = tuple(dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION))
    if not outside:
        septets = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return SmsEncoding("GSM-7", len(text), septets, _segments(septets, GSM7_LIMITS))
    units = len(text.encode("utf-16-le")) // 2
    return SmsEncoding("UCS-2", len(text), units, _segments(units, UCS2_LIMITS), outside)


def _segments(units: int, limits: tuple[int, int]) -> int:
    single, part = limits
    if units <= single:
        return 1 if units else 0
    return -(-units // part)
