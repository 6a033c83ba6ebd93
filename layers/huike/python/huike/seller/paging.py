"""Cursor pagination: opaque cursors that name the last item returned (its key), so a page after
concurrent writes neither skips nor repeats an item that was already there."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from huike.core.errors import BadRequest

MAX_LIMIT = 100


@dataclass
class Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


def encode_cursor(key: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field_name: str) -> str:
    return decode_cursor_fields(cursor, field_name)[field_name]


def decode_cursor_fields(cursor: str, *field_names: str) -> dict[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values = {name: decoded[name] for name in field_names}
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadRequest("cursor is not one this API returned") from None
    if not all(isinstance(value, str) and value for value in values.values()):
        raise BadRequest("cursor is not one this API returned")
    return values
