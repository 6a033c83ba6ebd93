"""A benchmark's runtime: fresh, with the demo tenant and its calls recorded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.calls import Recorder
from benchmarks.deliveries import Webhooks
from infra.local.runtime import LocalRuntime


@contextmanager
def recorded(start: Any) -> Iterator[tuple[LocalRuntime, Webhooks, Recorder]]:
    """A fresh runtime with the demo tenant, its calls recorded; stopped afterwards."""
    runtime = LocalRuntime(start=start).start()
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # start() set the template's INFO; handlers load lazily
    try:
        with Recorder(runtime) as recorder:
            yield runtime, Webhooks(runtime, runtime.seed_tenant()), recorder
    finally:
        runtime.stop()
