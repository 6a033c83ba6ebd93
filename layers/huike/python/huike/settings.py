"""Environment settings, validated once per container and cached (tests set env vars first)."""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field


class Settings(BaseModel):
    region: str = Field(alias="AWS_REGION", default="us-east-1")
    tenants_table: str = Field(alias="TENANTS_TABLE")
    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    orders_table: str = Field(alias="ORDERS_TABLE")
    send_ledger_table: str = Field(alias="SEND_LEDGER_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", default="")
    unpaid_reminder_state_machine_arn: str = Field(alias="UNPAID_REMINDER_STATE_MACHINE_ARN", default="")


@functools.cache
def settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
