"""Where a command runs: a deployed stack (in this process, its tables bound from the stack's
outputs) or the local runtime (posted to its POST /_local/admin route, run in its process)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

# The stack outputs (template.yaml) that name each table, and the environment variable every
# function reads it from (template.yaml Globals, huike.config.env.Environment).
STACK_OUTPUTS = {
    "TenantsTableName": "TENANTS_TABLE",
    "CustomersTableName": "CUSTOMERS_TABLE",
    "OrdersTableName": "ORDERS_TABLE",
    "SendLedgerTableName": "SEND_LEDGER_TABLE",
    "CartsTableName": "CARTS_TABLE",
    "SuppressionsTableName": "SUPPRESSIONS_TABLE",
    "ConsentLedgerTableName": "CONSENT_LEDGER_TABLE",
    "ApiKeysTableName": "API_KEYS_TABLE",
    "AuditTableName": "AUDIT_TABLE",
    "UsageTableName": "USAGE_TABLE",
    "InsightsTableName": "INSIGHTS_TABLE",
    "IdentitiesTableName": "IDENTITIES_TABLE",
    "TagMembersTableName": "TAG_MEMBERS_TABLE",
    "AgendaTableName": "AGENDA_TABLE",
    "ImportsTableName": "IMPORTS_TABLE",
    "ImportsBucketName": "IMPORTS_BUCKET",
}
LOCAL_ROUTE = "/_local/admin"
LOCAL_TIMEOUT_SECONDS = 120


class StackError(Exception):
    """The stack cannot be used: it lacks an output the commands need."""


def stack_environment(stack_name: str, cloudformation: Any) -> dict[str, str]:
    """The environment a function of the stack has (its table names, its region), from
    DescribeStacks' outputs."""
    stacks = cloudformation.describe_stacks(StackName=stack_name).get("Stacks") or []
    if not stacks:
        raise StackError(f"no stack {stack_name!r}")
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs") or []}
    missing = [name for name in STACK_OUTPUTS if not outputs.get(name)]
    if missing:
        raise StackError(
            f"stack {stack_name!r} has no output {', '.join(missing)}: deploy this version of template.yaml "
            "(make deploy) first"
        )
    environment = {variable: outputs[name] for name, variable in STACK_OUTPUTS.items()}
    environment["AWS_REGION"] = str(cloudformation.meta.region_name)
    return environment


def use_stack(stack_name: str, region: str | None = None) -> None:
    """Bind this process to the stack's tables, with the caller's credentials (boto3's usual
    chain: environment, profile, SSO...)."""
    import boto3

    from huike.core.caches import reset_process_caches

    os.environ.update(stack_environment(stack_name, boto3.client("cloudformation", region_name=region)))
    reset_process_caches()  # nothing read the environment before, but a binding must never be stale


def run_local(base_url: str, argv: list[str]) -> tuple[int, str, str]:
    """Post the command to the local runtime; (exit code, stdout, stderr) as it ran there."""
    if not base_url.startswith(("http://", "https://")):
        return 2, "", _error(f"--local takes an http(s) URL, not {base_url!r}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        base_url.rstrip("/") + LOCAL_ROUTE,
        data=json.dumps({"argv": argv}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=LOCAL_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()
        return 1, "", _error(f"{base_url} answered {exc.code} to POST {LOCAL_ROUTE}: {detail}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return 1, "", _error(f"no local runtime at {base_url} ({reason}): start it with `make local`")
    except ValueError as exc:
        return 1, "", _error(f"{base_url} did not answer JSON: {exc}")
    if not isinstance(answer, dict) or not isinstance(answer.get("exit_code"), int):
        return 1, "", _error(f"{base_url} answered something other than a command's result: {answer!r}")
    return answer["exit_code"], str(answer.get("stdout") or ""), str(answer.get("stderr") or "")


def _error(message: str) -> str:
    return json.dumps({"error": message}) + "\n"
