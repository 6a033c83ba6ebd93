"""The domain calls the local runtime makes, each imported here and nowhere else in infra/local.

The layer's package layout may change: a renamed domain module is renamed in this one file.
Imports are deferred to the call, after the runtime has put the layer on sys.path and set the
template's environment (the domain reads both when it is imported).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LedgerEntry:
    """What the outbox shows of a send-ledger record."""

    tenant_id: str
    flow: str | None
    channel: str | None
    sent_at: dt.datetime | None


def reset_process_caches() -> None:
    """Forget the domain's per-process caches (the environment changed under it)."""
    from huike.core.caches import reset_process_caches as reset

    reset()


def container(name: str) -> AbstractContextManager[None]:
    """The domain's caches and clients of one function's container (see huike.core.caches)."""
    from huike.core.caches import container as named

    return named(name)


def first_entry() -> bool:
    """True the first time the current container is entered (since its caches were last reset)."""
    from huike.core.caches import container_state

    state = container_state()
    first = "local-runtime-prepared" not in state
    state["local-runtime-prepared"] = True
    return first


def aws_session() -> Any:
    """The current container's botocore session (its clients are built from it)."""
    from huike.aws.clients import session

    return session()


def warm_clients(services: tuple[str, ...]) -> None:
    """Build the current container's clients and table connections now (credentials are read
    from the environment when a client is built)."""
    from huike.aws.clients import client
    from huike.store import all_models
    from huike.store.base import dynamodb_connection

    for service in services:
        client(service)
    for model in all_models():
        model._get_connection()  # type: ignore[attr-defined]  # binds the table; one client below
    dynamodb_connection().client  # noqa: B018


def use_clock(source: Callable[[], dt.datetime] | None) -> None:
    """Install the handlers' clock source (None restores the wall clock)."""
    from huike.core import clock

    clock.use(source)


def create_tenant(
    tenant_id: str,
    *,
    name: str,
    api_key: str,
    webhook_secrets: dict[str, str],
    settings: dict[str, Any],
    flows: dict[str, Any],
) -> None:
    """Create a tenant; settings and flows are validated as the seller API validates them."""
    from huike.store.tenants import create_tenant as create

    create(tenant_id, name=name, api_key=api_key, webhook_secrets=webhook_secrets, settings=settings, flows=flows)


@dataclass(frozen=True)
class AdminRun:
    """What one admin CLI command did: its exit code and output, as a terminal would show them."""

    exit_code: int
    stdout: str
    stderr: str


def run_admin(argv: list[str]) -> AdminRun:
    """Run one `python -m huike.admin` command (without a target option) in this process, as the
    operator: the same entry function `--stack` runs, on the emulated tables."""
    import io

    from huike.admin.cli import execute

    stdout, stderr = io.StringIO(), io.StringIO()
    code = execute(argv, stdout, stderr)
    return AdminRun(exit_code=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def sender_email(tenant_id: str) -> str | None:
    """The tenant's From address (settings.sender.email), None when it has none."""
    from huike.store.tenants import get_tenant

    return get_tenant(tenant_id).settings.sender.email


def sends_by_message_id(message_id: str) -> list[LedgerEntry]:
    """Send-ledger records of the message the provider accepted under `message_id`."""
    from huike.store.sends import sends_by_message_id as sends

    return [
        LedgerEntry(tenant_id=record.tenant_id, flow=record.flow, channel=record.channel, sent_at=record.sent_at)
        for record in sends(message_id)
    ]
