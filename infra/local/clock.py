"""The virtual clock, and the one patch that makes moto's Wait states use it.

moto's executor (pinned: moto==5.2.5) sleeps in WaitFunction._wait_interval and measures
Timestamp waits against datetime.now(). Both are replaced so that a Wait blocks until the
virtual clock reaches its deadline (or the execution stops). Nothing else in moto is touched.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

PINNED_MOTO_VERSION = "5.2.5"


class VirtualClock:
    def __init__(self, start: dt.datetime) -> None:
        self._now = start.astimezone(dt.UTC).replace(microsecond=0)
        self._condition = threading.Condition()
        self._waiters: dict[int, dt.datetime] = {}
        self._closed = False

    def now(self) -> dt.datetime:
        with self._condition:
            return self._now

    def set(self, moment: dt.datetime) -> None:
        with self._condition:
            if moment < self._now:
                raise ValueError("the virtual clock never moves backwards")
            self._now = moment
            self._condition.notify_all()

    def wait_until(self, deadline: dt.datetime, keep_waiting: Callable[[], bool]) -> None:
        """Block the calling execution thread until virtual time reaches `deadline`."""
        token = threading.get_ident()
        with self._condition:
            self._waiters[token] = deadline
            try:
                while self._now < deadline and keep_waiting() and not self._closed:
                    self._condition.wait(0.2)
            finally:
                del self._waiters[token]
                self._condition.notify_all()

    def waiting(self) -> list[dt.datetime]:
        """Deadlines of the executions currently blocked in a Wait state (still in the future)."""
        with self._condition:
            return [d for d in self._waiters.values() if d > self._now]

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()


_installed: dict[str, Any] = {}


def install_wait_patch(clock: VirtualClock) -> None:
    """Make moto's Wait states read `clock` (idempotent; the latest clock wins)."""
    import moto
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp, wait_function

    if moto.__version__ != PINNED_MOTO_VERSION:
        raise RuntimeError(
            f"infra/local/clock.py patches moto {PINNED_MOTO_VERSION}'s Wait evaluation; "
            f"found moto {moto.__version__}: re-check the patch before changing the pin"
        )
    _installed["clock"] = clock
    if _installed.get("patched"):
        return

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        active: VirtualClock = _installed["clock"]
        deadline = active.now() + dt.timedelta(seconds=max(wait_seconds, 0))
        active.wait_until(deadline, env.is_running)

    def timestamp_wait_seconds(self: Any, env: Any) -> int:
        self.string.eval(env=env)
        timestamp_str: str = env.stack.pop()
        moment = self._from_timestamp_string(timestamp=timestamp_str)
        if moment is None:
            raise timestamp.FailureEventException(self._create_failure_event(env, timestamp_str))
        now = _installed["clock"].now().replace(tzinfo=None)  # moto parses to naive UTC
        return int((moment - now).total_seconds())

    wait_function.WaitFunction._wait_interval = wait_interval
    timestamp.Timestamp._get_wait_seconds = timestamp_wait_seconds
    _installed["patched"] = True
