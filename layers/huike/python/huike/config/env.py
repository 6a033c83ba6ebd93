"""Environment settings, validated once per container and cached (tests set env vars first)."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from huike.core.caches import process_cache


class Settings(BaseModel):
    region: str = Field(alias="AWS_REGION", default="us-east-1")
    tenants_table: str = Field(alias="TENANTS_TABLE")
    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    orders_table: str = Field(alias="ORDERS_TABLE")
    send_ledger_table: str = Field(alias="SEND_LEDGER_TABLE")
    carts_table: str = Field(alias="CARTS_TABLE")
    suppressions_table: str = Field(alias="SUPPRESSIONS_TABLE")
    consent_ledger_table: str = Field(alias="CONSENT_LEDGER_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", default="")
    timed_flow_state_machine_arn: str = Field(alias="TIMED_FLOW_STATE_MACHINE_ARN", default="")
    email_configuration_set: str = Field(alias="EMAIL_CONFIGURATION_SET", default="")
    public_base_url: str = Field(alias="PUBLIC_BASE_URL", default="")


@process_cache
def settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
