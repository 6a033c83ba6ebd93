"""What CloudFormation and an operator would do: the process environment Lambda gives the handlers,
the template's tables, state machines, topics and SES configuration sets on the emulated account,
and a seeded tenant with its credentials."""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local import domain
from infra.local.lambdas import LAYER_PATH
from infra.local.template import ACCOUNT_ID, REGION, LocalTemplate

DEMO_TENANT_ID = "demo"


WEBHOOK_SOURCES = ("shopify", "woocommerce", "events")


@dataclass
class TenantCredentials:
    tenant_id: str
    api_key: str
    webhook_secrets: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "api_key": self.api_key, "webhook_secrets": self.webhook_secrets}

    @classmethod
    def read(cls, path: Path) -> TenantCredentials | None:
        """Credentials a previous start wrote, or None when there are none (or they are unusable)."""
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            secrets_ = saved["webhook_secrets"]
            if not all(isinstance(secrets_.get(kind), str) and secrets_[kind] for kind in WEBHOOK_SOURCES):
                return None
            return cls(str(saved["tenant_id"]), str(saved["api_key"]), {k: secrets_[k] for k in WEBHOOK_SOURCES})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None


def set_process_environment(template: LocalTemplate) -> None:
    """Fake AWS credentials, UTC, the layer on sys.path and every function's environment."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_DEV": os.environ.get("POWERTOOLS_DEV", "0"),
            "TZ": "UTC",
        }
    )
    time.tzset()
    os.environ.update(template.environment())
    if str(LAYER_PATH) not in sys.path:
        sys.path.insert(0, str(LAYER_PATH))


def provision(template: LocalTemplate) -> None:
    """Create the template's resources on the emulated account (moto must be started)."""
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for request in template.tables().values():
        dynamodb.create_table(**request)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    for machine in template.state_machines().values():
        sfn.create_state_machine(
            name=machine.name,
            definition=machine.definition,
            type=machine.sm_type,
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{machine.name}-role",
        )
    sqs = boto3.client("sqs", region_name=REGION)
    queues = template.queues()
    # Dead-letter queues first: a redrive policy names an existing queue.
    for logical_id in sorted(queues, key=lambda queue: "RedrivePolicy" in queues[queue]):
        sqs.create_queue(QueueName=template.physical_name(logical_id), Attributes=queues[logical_id])
    for bucket in template.resources_of("AWS::S3::Bucket"):
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=template.physical_name(bucket))
    for topic in template.resources_of("AWS::SNS::Topic"):
        boto3.client("sns", region_name=REGION).create_topic(Name=template.physical_name(topic))
    for configuration_set in template.resources_of("AWS::SES::ConfigurationSet"):
        boto3.client("sesv2", region_name=REGION).create_configuration_set(
            ConfigurationSetName=template.physical_name(configuration_set)
        )


# Marketing email shows the seller's postal address (CAN-SPAM); the demo store has one.
# The demo store's win-back offer, so the second touch has the offer it announces.
DEMO_FLOWS = {"win_back": {"coupon": "COMEBACK10"}}
DEMO_LINKS = {"shop_url": "https://demo-store.example/", "review_url": "https://demo-store.example/reviews"}
DEMO_POSTAL_ADDRESS = "Huike Demo Store, 100 Main Street, Louisville, KY 40202, USA"


def seed_tenant(
    tenant_id: str = DEMO_TENANT_ID,
    *,
    name: str = "Huike Demo Store",
    timezone: str = "America/New_York",
    country: str = "US",
    locale: str = "en",
    flows: dict[str, Any] | None = None,
    sms_number: str | None = "+18335550100",
    quiet_hours: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    credentials: TenantCredentials | None = None,
) -> TenantCredentials:
    """Create a tenant with fresh secrets and a verified SES sender identity. `settings` holds any
    other tenant settings (caps, links, opt-out texts...), as the seller API would write them."""
    if credentials is None or credentials.tenant_id != tenant_id:
        credentials = TenantCredentials(
            tenant_id=tenant_id,
            api_key=f"hk_live_{secrets.token_urlsafe(32)}",  # the seller API key format (huike.store.api_keys)
            webhook_secrets={kind: secrets.token_hex(24) for kind in WEBHOOK_SOURCES},
        )
    sender_email = f"shop@{tenant_id}.example.com"
    domain.create_tenant(
        tenant_id,
        name=name,
        api_key=credentials.api_key,
        webhook_secrets=credentials.webhook_secrets,
        settings={
            "timezone": timezone,
            "country": country,
            "locale": locale,
            "sender": {"email": sender_email, "sms_number": sms_number},
            "quiet_hours": quiet_hours or {},
            "postal_address": DEMO_POSTAL_ADDRESS,
            "links": DEMO_LINKS,
            **(settings or {}),
        },
        flows={**DEMO_FLOWS, **(flows or {})},
    )
    verify_sender(sender_email)
    return credentials


def verify_sender(email: str, session: Any = None) -> None:
    """What an operator does by hand in SES for a deployed stage: verify the tenant's From address
    (with `session`'s credentials, by default the process environment's)."""
    import boto3

    ses = session.create_client("sesv2", region_name=REGION) if session else boto3.client("sesv2", region_name=REGION)
    ses.create_email_identity(EmailIdentity=email)


def write_credentials(credentials: TenantCredentials, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials.as_dict(), indent=2) + "\n", encoding="utf-8")
