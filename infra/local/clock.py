"""The virtual clock: the handlers' time and every Wait state's (moto_compat.install_wait_patch).

Time moves only when told (LocalRuntime.advance); an execution in a Wait blocks in wait_until
until the clock reaches its deadline.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable


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
