"""A container's cold start (its handler's import and first invocation) runs with Python's cyclic
garbage collector paused.

The cold start imports Powertools and the domain, builds the AWS clients and the settings
validators: hundreds of thousands of objects that live as long as the container. The cyclic
collector would scan that growing heap about 200 times on the way (35 to 45 ms of a cold start
here) and find almost nothing: imports make no garbage cycles. Refcounting still frees everything
else, and the collector runs again from the second invocation on.

Importing this module pauses the collector, so each handler imports it before anything else (a
lint section of its own, `coldstart`, keeps it first); the first invocation of a handler decorated
with `collector_paused_on_cold_start` ends the pause, however that invocation ends.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R")

# Whether this import paused the collector (a host that had it off keeps it off).
_paused_at_import = gc.isenabled()
gc.disable()


def collector_paused_on_cold_start(handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
    """Decorate a Lambda handler: its container's first invocation runs without the cyclic
    collector, which is resumed after it if this module or the invocation paused it."""
    warm = False

    @functools.wraps(handler)
    def invoke(event: Any, context: Any) -> R:
        nonlocal warm
        if warm:
            return handler(event, context)
        warm = True
        resume = gc.isenabled() or _end_import_pause()
        gc.disable()
        try:
            return handler(event, context)
        finally:
            if resume:
                gc.enable()

    return invoke


def _end_import_pause() -> bool:
    """True once: the first cold start to end resumes the collector that the import paused."""
    global _paused_at_import
    paused, _paused_at_import = _paused_at_import, False
    return paused
