"""The virtual clock: the handlers' time and every Wait state's (moto_compat.install_wait_patch).

Time moves only when told (LocalRuntime.advance); an execution in a Wait blocks in wait_until
until the clock reaches its deadline, or until its execution is stopped (release).

The cost of the clock follows due work, not pending work: a blocked execution sleeps on its own
event (no polling), the deadlines are a heap (moving the clock wakes only the executions it makes
due), and the clock counts the executions still running and those blocked on it, so that
"every execution has gone as far as it can" is one comparison (wait_settled), not a listing.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import threading
from collections.abc import Callable, Hashable


class _Waiter:
    __slots__ = ("deadline", "released", "token", "wake")

    def __init__(self, deadline: dt.datetime, token: Hashable | None) -> None:
        self.deadline = deadline
        self.token = token
        self.released = False
        self.wake = threading.Event()


class VirtualClock:
    def __init__(self, start: dt.datetime) -> None:
        self._now = start.astimezone(dt.UTC).replace(microsecond=0)
        self._condition = threading.Condition()  # guards everything below; notified on each change
        self._deadlines: list[tuple[dt.datetime, int, _Waiter]] = []  # heap; released waiters linger
        self._order = itertools.count()
        self._by_token: dict[Hashable, _Waiter] = {}
        self._blocked = 0  # waiters not yet released
        self._running = 0  # executions started and not yet ended
        self._closed = False

    def now(self) -> dt.datetime:
        with self._condition:
            return self._now

    def set(self, moment: dt.datetime) -> None:
        """Move to `moment` and wake exactly the waiters whose deadline it reaches."""
        with self._condition:
            if moment < self._now:
                raise ValueError("the virtual clock never moves backwards")
            self._now = moment
            while self._deadlines and self._deadlines[0][0] <= moment:
                self._release(heapq.heappop(self._deadlines)[2])
            self._condition.notify_all()

    def wait_until(
        self, deadline: dt.datetime, keep_waiting: Callable[[], bool], token: Hashable | None = None
    ) -> None:
        """Block the calling execution thread until virtual time reaches `deadline`, or until
        release(token) (its execution was stopped: keep_waiting() turns false first)."""
        with self._condition:
            if self._now >= deadline or self._closed or not keep_waiting():
                return
            waiter = _Waiter(deadline, token)
            heapq.heappush(self._deadlines, (deadline, next(self._order), waiter))
            if token is not None:
                self._by_token[token] = waiter
            self._blocked += 1
            self._condition.notify_all()
        waiter.wake.wait()

    def release(self, token: Hashable) -> None:
        """Wake the waiter registered under `token` now (its execution was stopped)."""
        with self._condition:
            waiter = self._by_token.get(token)
            if waiter is not None:
                self._release(waiter)
                self._condition.notify_all()

    def _release(self, waiter: _Waiter) -> None:
        if waiter.released:
            return
        waiter.released = True
        self._blocked -= 1
        if waiter.token is not None and self._by_token.get(waiter.token) is waiter:
            del self._by_token[waiter.token]
        waiter.wake.set()

    def next_deadline(self) -> dt.datetime | None:
        """The earliest deadline a blocked execution waits for (always in the future)."""
        with self._condition:
            while self._deadlines and self._deadlines[0][2].released:
                heapq.heappop(self._deadlines)
            return self._deadlines[0][0] if self._deadlines else None

    # -- executions: counted by moto_compat's execution hooks ---------------------------------
    def execution_started(self) -> None:
        with self._condition:
            self._running += 1
            self._condition.notify_all()

    def execution_ended(self) -> None:
        with self._condition:
            self._running -= 1
            self._condition.notify_all()

    def counts(self) -> tuple[int, int]:
        """(executions running, of which blocked on the clock)."""
        with self._condition:
            return self._running, self._blocked

    def settled(self) -> bool:
        with self._condition:
            return self._running == self._blocked

    def wait_settled(self, timeout: float) -> bool:
        """Block until every running execution is blocked on the clock; False on timeout."""
        with self._condition:
            return self._condition.wait_for(lambda: self._running == self._blocked, timeout)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            for _, _, waiter in self._deadlines:
                self._release(waiter)
            self._deadlines.clear()
            self._condition.notify_all()
