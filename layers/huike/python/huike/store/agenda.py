"""The agenda: timed-flow wake-ups due beyond the sweep's reach, kept as items instead of open
executions (huike.flows.agenda decides which; the sweep starts them when they are near).

Access patterns:
  keep a wake-up (schedule)               PutItem PK slot (a later one for the slot replaces it)
  cancel one (an order shipped)           DeleteItem PK slot
  what falls due on a day (sweep)         Query due-index PK "<day>#<shard>", each of 16 shards
  started: take it off                    DeleteItem PK slot, condition wake_at and execution
                                          unchanged (a replacement written since stays)
PK slot: the execution name, or a name the next wake-up of the same kind replaces (a customer's
win-back). due-index: PK due_key = keys.agenda_due_key (the slot's shard of its UTC day), SK wake_at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from huike.core import clock, keys
from huike.store.base import BoundTable, register

# An entry the sweep never reached (the stack was down for weeks) expires instead of lingering.
KEPT_AFTER_DUE = timedelta(days=30)


class DueIndex(GlobalSecondaryIndex["AgendaEntry"]):
    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due_key = UnicodeAttribute(hash_key=True)
    wake_at = UnicodeAttribute(range_key=True)


@register
class AgendaEntry(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "agenda_table"

    slot = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute()
    wake_at = UnicodeAttribute()  # ISO 8601 UTC: sorts as it reads
    execution = UnicodeAttribute()  # the name the sweep starts it under
    state = UnicodeAttribute()  # the execution's input, JSON
    expires_at = TTLAttribute()
    due_index = DueIndex()

    @property
    def input(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(str(self.state))
        return value


def keep(slot: str, execution: str, wake_at: datetime, state: dict[str, Any]) -> None:
    AgendaEntry(
        slot,
        due_key=keys.agenda_due_key(slot, wake_at.astimezone(UTC).date()),
        wake_at=clock.to_iso(wake_at),
        execution=execution,
        state=json.dumps(state, separators=(",", ":"), sort_keys=True),
        expires_at=wake_at + KEPT_AFTER_DUE,
    ).save()


def cancel(slot: str) -> None:
    AgendaEntry(slot).delete()


def due_on(day: date) -> Iterator[AgendaEntry]:
    """Every wake-up kept for `day` (UTC), shard by shard."""
    for shard in range(keys.AGENDA_SHARDS):
        yield from AgendaEntry.due_index.query(keys.agenda_day_key(day, shard))


def remove_started(entry: AgendaEntry) -> bool:
    """Take a started wake-up off the agenda, unless its slot was given a new one meanwhile."""
    from pynamodb.exceptions import DeleteError

    unchanged = (AgendaEntry.wake_at == str(entry.wake_at)) & (AgendaEntry.execution == str(entry.execution))
    try:
        entry.delete(condition=unchanged)
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
