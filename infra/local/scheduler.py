"""EventBridge Scheduler as the template declares it (ScheduleV2 events): each schedule fires its
function at its times on the virtual clock, with the schedule's Input as the event.

Expressions: cron(minute hour * * ? *) with numbers, lists, `*` and `*/n` in the minute and
hour fields (day, month and weekday must be `*` or `?`), and rate(N minutes|hours|days)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.local.lambdas import LambdaHost
from infra.local.template import LocalTemplate

LOG = logging.getLogger("huike.local")


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str
    input: dict[str, Any]

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first firing strictly after `moment` (UTC)."""
        rate = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", self.expression)
        if rate:
            unit = rate.group(2).rstrip("s")
            step = dt.timedelta(**{f"{unit}s": int(rate.group(1))})
            epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
            return epoch + step * ((moment - epoch) // step + 1)
        cron = re.fullmatch(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)", self.expression)
        if not cron or any(field not in ("*", "?") for field in cron.groups()[2:]):
            raise ValueError(f"the local scheduler does not run {self.expression!r}")
        minutes, hours = _field(cron.group(1), 60), _field(cron.group(2), 24)
        candidate = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        for _ in range(60 * 24 + 1):
            if candidate.minute in minutes and candidate.hour in hours:
                return candidate
            candidate += dt.timedelta(minutes=1)
        raise ValueError(f"{self.expression!r} never fires")


def _field(text: str, size: int) -> set[int]:
    if text == "*":
        return set(range(size))
    if text.startswith("*/"):
        return set(range(0, size, int(text[2:])))
    return {int(part) for part in text.split(",")}


class LocalScheduler:
    """Fires the template's schedules as the virtual clock passes their times."""

    def __init__(self, template: LocalTemplate, lambdas: LambdaHost, after_each: Callable[[], object]) -> None:
        self.schedules = [
            Schedule(spec.function, spec.expression, json.loads(spec.input or "{}")) for spec in template.schedules()
        ]
        self.lambdas = lambdas
        self._after_each = after_each
        self._fired_until: dt.datetime | None = None

    def start(self, now: dt.datetime) -> None:
        self._fired_until = now

    def next_firing(self) -> dt.datetime | None:
        if self._fired_until is None or not self.schedules:
            return None
        return min(schedule.next_after(self._fired_until) for schedule in self.schedules)

    def fire_due(self, now: dt.datetime) -> int:
        """Fire every schedule whose time is on or before `now` and after the last firing."""
        if self._fired_until is None:
            return 0
        fired = 0
        for schedule in self.schedules:
            moment = schedule.next_after(self._fired_until)
            while moment <= now:
                try:
                    self.lambdas.invoke(schedule.function, schedule.input)
                except Exception:  # Scheduler retries per its RetryPolicy; locally: logged
                    LOG.exception("scheduled %s failed at %s", schedule.function, moment.isoformat())
                self._after_each()
                fired += 1
                moment = schedule.next_after(moment)
        self._fired_until = max(self._fired_until, now)
        return fired
