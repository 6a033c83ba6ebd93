"""Each function's environment, validated at cold start; the domain reads one shared view.

Every handler validates its own model on its container's first invocation: a missing table or
ARN fails the cold start, not a flow weeks later, and pydantic stays out of the handlers' import
time. Domain code reads `environment()`, the fields every function has plus the optional ones;
names a function may lack are `None`, never an empty string.
"""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from huike.core.caches import process_cache

E = TypeVar("E", bound="Environment")

OPTIONAL_NAMES = (
    "idempotency_table",
    "timed_flow_state_machine_arn",
    "email_configuration_set",
    "public_base_url",
    "segment_refresh_queue_url",
    "s3_public_endpoint",
)


class Environment(BaseModel):
    """What every function gets from the template's Globals."""

    # defer_build: a function builds the validator of its own environment only, on first use.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", defer_build=True)

    region: str = Field(alias="AWS_REGION", default="us-east-1", min_length=1)
    tenants_table: str = Field(alias="TENANTS_TABLE", min_length=1)
    customers_table: str = Field(alias="CUSTOMERS_TABLE", min_length=1)
    orders_table: str = Field(alias="ORDERS_TABLE", min_length=1)
    send_ledger_table: str = Field(alias="SEND_LEDGER_TABLE", min_length=1)
    carts_table: str = Field(alias="CARTS_TABLE", min_length=1)
    suppressions_table: str = Field(alias="SUPPRESSIONS_TABLE", min_length=1)
    consent_ledger_table: str = Field(alias="CONSENT_LEDGER_TABLE", min_length=1)
    api_keys_table: str = Field(alias="API_KEYS_TABLE", min_length=1)
    audit_table: str = Field(alias="AUDIT_TABLE", min_length=1)
    usage_table: str = Field(alias="USAGE_TABLE", min_length=1)
    insights_table: str = Field(alias="INSIGHTS_TABLE", min_length=1)
    identities_table: str = Field(alias="IDENTITIES_TABLE", min_length=1)
    tag_members_table: str = Field(alias="TAG_MEMBERS_TABLE", min_length=1)
    imports_table: str = Field(alias="IMPORTS_TABLE", min_length=1)
    agenda_table: str = Field(alias="AGENDA_TABLE", min_length=1)
    imports_bucket: str = Field(alias="IMPORTS_BUCKET", min_length=1)
    idempotency_table: str | None = Field(alias="IDEMPOTENCY_TABLE", default=None)
    timed_flow_state_machine_arn: str | None = Field(alias="TIMED_FLOW_STATE_MACHINE_ARN", default=None)
    email_configuration_set: str | None = Field(alias="EMAIL_CONFIGURATION_SET", default=None)
    public_base_url: str | None = Field(alias="PUBLIC_BASE_URL", default=None)
    segment_refresh_queue_url: str | None = Field(alias="SEGMENT_REFRESH_QUEUE_URL", default=None)
    # Where presigned URLs send the seller (default: S3's own endpoint for the region).
    s3_public_endpoint: str | None = Field(alias="S3_PUBLIC_ENDPOINT", default=None)

    @field_validator(*OPTIONAL_NAMES, mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        return None if value == "" else value


class WebhookEnvironment(Environment):
    """Webhooks apply each delivery once (idempotency table) and start cart/browse/birthday flows."""

    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)
    timed_flow_state_machine_arn: str = Field(alias="TIMED_FLOW_STATE_MACHINE_ARN", min_length=1)


class LifecycleEnvironment(Environment):
    """The orders-stream consumer starts the order flows."""

    timed_flow_state_machine_arn: str = Field(alias="TIMED_FLOW_STATE_MACHINE_ARN", min_length=1)


class InboundEnvironment(Environment):
    """STOP/START replies and SES notifications need only the tables."""


class FlowTaskEnvironment(Environment):
    """The flow task schedules on the machine that runs it ($$.StateMachine.Id), so it has no ARN."""


class CustomerCountsEnvironment(Environment):
    """The customers-stream consumer needs only the tables."""


class ImportFilesEnvironment(Environment):
    """The import planner queues each chunk of a file on the chunks queue."""

    import_chunks_queue_url: str = Field(alias="IMPORT_CHUNKS_QUEUE_URL", min_length=1)


class ImportChunksEnvironment(Environment):
    """The chunk worker asks for a segment refresh of the tenant when an import completes."""

    segment_refresh_queue_url: str = Field(alias="SEGMENT_REFRESH_QUEUE_URL", min_length=1)


class SegmentRefreshEnvironment(Environment):
    """The nightly refresh queues each tenant's next chunk on its own queue."""

    segment_refresh_queue_url: str = Field(alias="SEGMENT_REFRESH_QUEUE_URL", min_length=1)


class AgendaSweepEnvironment(Environment):
    """The sweep starts kept wake-ups on the timed-flow machine."""

    timed_flow_state_machine_arn: str = Field(alias="TIMED_FLOW_STATE_MACHINE_ARN", min_length=1)


class SellerApiEnvironment(Environment):
    """The seller REST API reads and changes tenant-scoped resources, applies each POST once
    (idempotency table), and schedules a corrected birthday's message."""

    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)
    timed_flow_state_machine_arn: str = Field(alias="TIMED_FLOW_STATE_MACHINE_ARN", min_length=1)


def validate_environment(model: type[E]) -> E:
    """Validate a function's own environment; raises pydantic.ValidationError naming what is missing."""
    return model.model_validate(dict(os.environ))


@process_cache
def require_environment(model: type[E]) -> E:
    """Validate once per container, on the cold start's first invocation (a failure is not cached,
    so every invocation fails until the template is fixed)."""
    return validate_environment(model)


@process_cache
def environment() -> Environment:
    return Environment.model_validate(dict(os.environ))
