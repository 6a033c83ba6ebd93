"""Validation shared by the settings models: strict on write, lenient on load."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, ValidationInfo

M = TypeVar("M", bound=BaseModel)
LOG = logging.getLogger("huike.config")
HTTP_URL_PATTERN = r"^https?://\S+$"
MAX_URL_LENGTH = 2048
MAX_TEMPLATE_LENGTH = 2000
# Validation context of values read back from the store: they passed the write's checks already.
STORED: dict[str, Any] = {"stored": True}


def is_stored(info: ValidationInfo) -> bool:
    """Whether a validator runs on a value read back from the store (see load_lenient)."""
    return bool(info.context and info.context.get("stored"))


def load_lenient(model: type[M], stored: Mapping[str, Any] | None, what: str) -> M:
    """Validate a stored value; a field that no longer validates falls back to its default.

    Settings are validated when written, so this only meets values written by an older version.
    A flow must never crash on them weeks later: the bad fields are logged and dropped. Checks
    that only normalise what the write normalised already may skip stored values (`is_stored`).
    """
    data = dict(stored or {})
    for _ in range(len(data) + 1):
        try:
            return model.model_validate(data, context=STORED)
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            LOG.warning(
                "stored %s no longer validates; using defaults for %s",
                what,
                sorted(bad) or "all fields",
                extra={"errors": [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]},
            )
            if not bad or not bad & data.keys():
                break
            data = {key: value for key, value in data.items() if key not in bad}
    return model()
