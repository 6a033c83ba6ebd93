"""The tenant admin CLI (`python -m huike.admin`): its commands through the local runtime's control
route (POST /_local/admin, as `--local` sends them), the `--local` transport over real HTTP, and
the `--stack` binding from a stack's outputs (a stubbed DescribeStacks: moto's CloudFormation is
not part of the emulation)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from huike.admin import cli, targets
from huike.admin.commands import WEBHOOK_SOURCES
from infra.local.server import LocalServer
from infra.local.template import REGION, load_template
from tests.support import payloads
from tests.support.seller import SellerApi


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.exit_code == 0, self.stderr
        return json.loads(self.stdout)

    def error(self) -> str:
        assert self.stdout == ""
        message = json.loads(self.stderr)["error"]
        assert isinstance(message, str) and message
        return message


Admin = Callable[..., Run]


@pytest.fixture
def admin(runtime) -> Admin:
    """Runs one command through the control route, in the runtime's process."""
    client = Client(LocalServer(runtime))

    def run(*argv: str) -> Run:
        response = client.post("/_local/admin", json={"argv": list(argv)})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        return Run(body["exit_code"], body["stdout"], body["stderr"])

    return run


def create_shop_two(admin: Admin, *options: str) -> dict[str, Any]:
    created: dict[str, Any] = admin("tenants", "create", "shop-two", "--name", "Shop Two", *options).json()
    return created


def settings_status(runtime, api_key: str) -> int:
    return SellerApi(runtime, api_key).get("/settings").status


# -- tenants and keys ------------------------------------------------------------------------


def test_a_tenant_created_through_the_control_route_has_a_working_key_until_revoked(runtime, tenant, admin):
    created = create_shop_two(
        admin,
        *("--country", "CN", "--timezone", "Asia/Shanghai", "--locale", "zh-CN"),
        *("--sender-email", "shop@shop-two.example.com", "--sms-number", "+18335550111"),
        *("--settings-json", '{"caps": {"weekly": 2}, "sender": {"name": "Two"}}'),
    )

    assert created["tenant_id"] == "shop-two" and created["api_key"].startswith("hk_live_")
    assert created["key_id"].startswith("key_")
    assert set(created["webhook_secrets"]) == set(WEBHOOK_SOURCES)
    assert all(len(secret) >= 32 for secret in created["webhook_secrets"].values())
    assert created["sender"] == {"email": "shop@shop-two.example.com", "sms_number": "+18335550111"}
    response = SellerApi(runtime, created["api_key"]).get("/settings")
    assert response.status == 200, response.body
    settings = response.json()
    assert (settings["timezone"], settings["country"], settings["locale"]) == ("Asia/Shanghai", "CN", "zh-CN")
    assert settings["sender"] == {"name": "Two", "email": "shop@shop-two.example.com", "sms_number": "+18335550111"}
    assert settings["caps"]["weekly"] == 2
    assert SellerApi(runtime, tenant.api_key).get("/settings").json()["timezone"] == "America/New_York"
    # Locally the sender is verified in SES as seed_tenant does (on AWS that is a manual step).
    import boto3

    identity = boto3.client("sesv2", region_name=REGION).get_email_identity(EmailIdentity="shop@shop-two.example.com")
    assert identity["VerificationStatus"] == "SUCCESS"

    extra = admin("keys", "create", "shop-two", "--name", "warehouse").json()
    assert extra["api_key"].startswith("hk_live_") and extra["api_key"] != created["api_key"]
    assert settings_status(runtime, extra["api_key"]) == 200
    revoked = admin("keys", "revoke", "shop-two", extra["key_id"]).json()
    assert revoked["key_id"] == extra["key_id"] and revoked["revoked_at"]

    assert settings_status(runtime, extra["api_key"]) == 401
    assert settings_status(runtime, created["api_key"]) == 200
    keys = admin("keys", "list", "shop-two").json()["keys"]
    assert {key["key_id"]: (key["name"], key["revoked_at"] is not None) for key in keys} == {
        created["key_id"]: ("default", False),
        extra["key_id"]: ("warehouse", True),
    }
    # Revoking again keeps the first revocation.
    assert admin("keys", "revoke", "shop-two", extra["key_id"]).json()["revoked_at"] == revoked["revoked_at"]


def test_show_and_the_listings_never_print_a_secret_or_a_hash(runtime, tenant, admin):
    created = create_shop_two(admin, "--sender-email", "shop@shop-two.example.com")
    extra = admin("keys", "create", "shop-two", "--name", "ci").json()

    shown = admin("tenants", "show", "shop-two")
    printed = "".join(
        run.stdout + run.stderr
        for run in (
            shown,
            admin("tenants", "show", "demo"),
            admin("tenants", "list"),
            admin("keys", "list", "shop-two"),
            admin("keys", "list", "demo"),
        )
    )

    secrets = [created["api_key"], extra["api_key"], tenant.api_key]
    secrets += [*created["webhook_secrets"].values(), *tenant.webhook_secrets.values()]
    for secret in secrets:
        assert secret not in printed
        assert hashlib.sha256(secret.encode()).hexdigest() not in printed
    assert "hash" not in printed
    body = shown.json()
    assert body["webhook_sources"] == dict.fromkeys(WEBHOOK_SOURCES, True)
    assert {key["key_id"] for key in body["keys"]} == {created["key_id"], extra["key_id"]}
    assert body["settings"]["sender"]["email"] == "shop@shop-two.example.com"
    assert admin("tenants", "show", "demo").json()["flows"]["win_back"] == {"coupon": "COMEBACK10"}
    assert admin("tenants", "list").json() == {
        "tenants": [{"tenant_id": "demo", "name": "Huike Demo Store"}, {"tenant_id": "shop-two", "name": "Shop Two"}]
    }


def test_rotating_a_webhook_secret_retires_the_old_one_and_keeps_the_others(runtime, tenant, admin, shopify):
    old = tenant.webhook_secrets["shopify"]
    new = "shpss_" + "0123456789abcdef" * 2  # the Shopify app's client secret

    rotated = admin("tenants", "rotate-secret", "demo", "--source", "shopify", "--secret", new).json()

    assert rotated == {"tenant_id": "demo", "source": "shopify", "secret": new}
    assert shopify.post("orders/create", payloads.shopify_order(), secret=old).status == 401
    response = shopify.post("orders/create", payloads.shopify_order(), secret=new)
    assert response.status == 200, response.body

    made = admin("tenants", "rotate-secret", "demo", "--source", "events").json()
    assert len(made["secret"]) >= 32 and made["secret"] != tenant.webhook_secrets["events"]
    assert "unsubscribe links" in made["warning"]
    # The Shopify secret survived the events rotation; WooCommerce's was never touched.
    assert shopify.post("orders/paid", payloads.shopify_order(), secret=new).status == 200
    assert admin("tenants", "show", "demo").json()["webhook_sources"] == dict.fromkeys(WEBHOOK_SOURCES, True)


def test_create_refuses_a_tenant_id_that_is_taken_and_changes_nothing(runtime, tenant, admin, shopify):
    before = admin("tenants", "show", "demo").stdout

    refused = admin("tenants", "create", "demo", "--name", "Impostor", "--timezone", "UTC")

    assert refused.exit_code == 2
    assert "already exists" in refused.error()
    assert admin("tenants", "show", "demo").stdout == before  # name, settings, one key
    assert settings_status(runtime, tenant.api_key) == 200
    assert shopify.post("orders/create", payloads.shopify_order()).status == 200


@pytest.mark.parametrize(
    ("argv", "exit_code", "fragment"),
    [
        (("tenants", "show", "nope"), 1, "unknown tenant"),
        (("tenants", "rotate-secret", "nope", "--source", "shopify"), 1, "unknown tenant"),
        (("keys", "create", "nope", "--name", "x"), 1, "unknown tenant"),
        (("keys", "list", "nope"), 1, "unknown tenant"),
        (("keys", "revoke", "demo", "key_000000000000"), 1, "key_000000000000"),
        (("tenants", "create", "Bad_Id", "--name", "x"), 2, "tenant id"),
        (("tenants", "create", "shop-two"), 2, "--name"),
        (("tenants", "create", "shop-two", "--name", "x", "--timezone", "Mars/Base"), 2, "invalid settings"),
        (("tenants", "create", "shop-two", "--name", "x", "--settings-json", "[1]"), 2, "JSON object"),
        (("tenants", "create", "shop-two", "--name", "x", "--sms-number", "5025550134"), 2, "invalid settings"),
        (("tenants", "rotate-secret", "demo", "--source", "ebay"), 2, "invalid choice"),
        (("tenants", "rotate-secret", "demo", "--source", "shopify", "--secret", "short"), 2, "at least 16"),
        (("tenants",), 2, "required"),
        ((), 2, "required"),
    ],
)
def test_bad_input_is_exit_2_and_unknown_ids_exit_1_with_json_errors(runtime, tenant, admin, argv, exit_code, fragment):
    before = admin("tenants", "show", "demo").stdout

    run = admin(*argv)

    assert run.exit_code == exit_code, run
    assert fragment in run.stderr
    run.error()
    assert admin("tenants", "show", "demo").stdout == before
    assert [t["tenant_id"] for t in admin("tenants", "list").json()["tenants"]] == ["demo"]


def test_invalid_settings_name_each_field(runtime, admin):
    run = admin("tenants", "create", "shop-two", "--name", "x", "--timezone", "Mars/Base", "--country", "usa")

    assert run.exit_code == 2
    fields = {error["field"] for error in json.loads(run.stderr)["errors"]}
    assert fields == {"timezone", "country"}


def test_the_control_route_refuses_a_body_without_an_argv_list(runtime):
    client = Client(LocalServer(runtime))
    for body in ({}, {"argv": "tenants list"}, {"argv": ["tenants", 1]}):
        response = client.post("/_local/admin", json=body)
        assert response.status_code == 400
        assert "argv" in response.get_json()["error"]


# -- the --local transport: the same command, posted over HTTP ----------------------------


@pytest.fixture
def local_url(runtime) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, LocalServer(runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_local_posts_the_command_to_the_running_runtime(tenant, local_url, capsys):
    assert cli.main(["--local", local_url, "tenants", "create", "shop-two", "--name", "Shop Two"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["tenant_id"] == "shop-two"

    assert cli.main([f"--local={local_url}", "tenants", "list"]) == 0
    assert [t["tenant_id"] for t in json.loads(capsys.readouterr().out)["tenants"]] == ["demo", "shop-two"]

    assert cli.main(["--local", local_url, "tenants", "show", "nope"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and json.loads(captured.err)["error"] == "unknown tenant"


def test_a_secret_read_from_stdin_stays_off_the_command_line(tenant, local_url, monkeypatch, capsys):
    secret = "shpss_" + "fedcba9876543210" * 2
    monkeypatch.setattr(sys, "stdin", io.StringIO(secret + "\n"))

    argv = ["--local", local_url, "tenants", "rotate-secret", "demo", "--source", "shopify", "--secret", "-"]
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["secret"] == secret


def test_local_without_a_runtime_says_to_start_one(capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the CLI connects

    assert cli.main(["--local", f"http://127.0.0.1:{port}", "tenants", "list"]) == 1
    assert "make local" in json.loads(capsys.readouterr().err)["error"]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["tenants", "list"], "choose a target"),
        (["--stack", "huike-dev", "--local", "tenants", "list"], "not both"),
        (["--stack"], "needs a value"),
        (["--region", "eu-west-1", "--local", "tenants", "list"], "--region goes with --stack"),
        (["--local=ftp://x", "tenants", "list"], "http(s) URL"),
        (["--local", "http://127.0.0.1:1", "tenants", "create"], "required"),  # checked before posting
    ],
)
def test_a_target_is_required_and_unambiguous(argv, fragment, capsys):
    assert cli.main(argv) == 2
    assert fragment in json.loads(capsys.readouterr().err)["error"]


def test_help_needs_no_target(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--stack STACK_NAME" in out and "--local [URL]" in out and "tenants" in out


# -- the --stack target: the stack's outputs become the functions' environment ------------


def describe_stacks_stub(client: Any, outputs: dict[str, str]) -> Any:
    from botocore.stub import Stubber

    stubber = Stubber(client)
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "huike-dev",
                    "CreationTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                    "StackStatus": "UPDATE_COMPLETE",
                    "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
                }
            ]
        },
        {"StackName": "huike-dev"},
    )
    return stubber


def cloudformation_client(region: str) -> Any:
    import boto3

    return boto3.client("cloudformation", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")


def test_stack_outputs_become_the_environment_the_functions_have():
    from huike.config.env import Environment

    client = cloudformation_client("eu-west-1")
    outputs = {name: f"huike-dev-{name}-ABC123" for name in targets.STACK_OUTPUTS}
    with describe_stacks_stub(client, {**outputs, "ApiUrl": "https://example.execute-api/dev"}) as stub:
        environment = targets.stack_environment("huike-dev", client)
        stub.assert_no_pending_responses()

    assert environment == {
        **{variable: outputs[name] for name, variable in targets.STACK_OUTPUTS.items()},
        "AWS_REGION": "eu-west-1",
    }
    bound = Environment.model_validate(environment)  # every table a function needs is named
    assert (bound.tenants_table, bound.api_keys_table) == (
        "huike-dev-TenantsTableName-ABC123",
        "huike-dev-ApiKeysTableName-ABC123",
    )
    assert bound.region == "eu-west-1"


def test_a_stack_deployed_from_an_older_template_is_named_with_what_it_lacks():
    client = cloudformation_client("us-east-1")
    stub = describe_stacks_stub(client, {"ApiUrl": "https://example.execute-api/dev"})
    with stub, pytest.raises(targets.StackError) as refused:
        targets.stack_environment("huike-dev", client)
    assert "TenantsTableName" in str(refused.value) and "make deploy" in str(refused.value)


def test_stack_usage_errors_are_found_before_any_aws_call(monkeypatch, capsys):
    def no_aws(*_: Any) -> None:
        raise AssertionError("the stack was read for a command that is not valid")

    monkeypatch.setattr(targets, "use_stack", no_aws)
    assert cli.main(["--stack", "huike-dev", "tenants", "frobnicate"]) == 2
    assert "invalid choice" in json.loads(capsys.readouterr().err)["error"]


def test_the_template_outputs_each_table_the_functions_are_given():
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for output, variable in targets.STACK_OUTPUTS.items():
        assert template["Outputs"][output]["Value"] == variables[variable], output


def test_the_cli_makes_a_secret_for_every_source_the_local_runtime_seeds():
    from infra.local.provisioning import WEBHOOK_SOURCES as LOCAL_SOURCES

    assert WEBHOOK_SOURCES == LOCAL_SOURCES


def test_a_usage_plan_set_by_the_operator_limits_the_tenants_requests_per_minute(runtime, tenant, admin):
    assert admin("tenants", "show", "demo").json()["requests_per_minute"] == 120
    assert admin("tenants", "set-plan", "demo", "--requests-per-minute", "2").json()["requests_per_minute"] == 2
    statuses = [settings_status(runtime, tenant.api_key) for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = admin("tenants", "set-plan", "demo", "--requests-per-minute", "0")
    assert refused.exit_code == 2 and "between 1 and 100000" in refused.error()
    assert admin("tenants", "set-plan", "nobody", "--requests-per-minute", "5").exit_code == 1
