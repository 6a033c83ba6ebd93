"""`python -m huike.admin`: tenant administration for operators (infra teams), not sellers.

    python -m huike.admin --stack huike-dev tenants create shop-1 --name "Shop One" --sender-email shop@shop1.com
    python -m huike.admin --local tenants show demo

A target comes first:
  --stack STACK_NAME [--region REGION]  a deployed stage: its table names are read from the
                                        CloudFormation stack's outputs and the command runs in
                                        this process with the caller's AWS credentials;
  --local [URL]                         `make local` (default http://127.0.0.1:3000): its tables
                                        live in that process's emulation, so the command is posted
                                        to its POST /_local/admin route and runs there.
Either way the command is `execute` below, with the same code; only the transport differs.

Every command prints JSON on stdout and exits 0. Errors are JSON on stderr ({"error": ...}):
exit 2 for bad input (usage, invalid settings, a tenant id that is taken), 1 for a tenant or key
that does not exist or a call that failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

from huike.admin import commands

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_LOCAL_URL = "http://127.0.0.1:3000"
PROG = "python -m huike.admin"


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


class _HelpShown(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting: `execute` also runs inside the local
    runtime's process, where output goes back over HTTP and nothing may exit the process."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or f"exit {status}")

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        raise _HelpShown(self.format_help())


def _tenant_id(value: str) -> str:
    try:
        return commands.tenant_id(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r}: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{PROG} (--stack STACK_NAME [--region REGION] | --local [URL])",
        description="Create and inspect Huike tenants, their webhook signing secrets and seller API keys.",
        epilog="Output is JSON on stdout. Exit 0 done, 1 not found or failed, 2 bad input.",
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="{tenants,keys}")

    tenants = groups.add_parser("tenants", help="create, list, show tenants; rotate a webhook secret")
    tenant_commands = tenants.add_subparsers(dest="command", required=True, metavar="{create,list,show,rotate-secret}")

    create = tenant_commands.add_parser(
        "create", help="a new tenant: prints its webhook secrets and first API key (once)"
    )
    create.add_argument("tenant_id", type=_tenant_id, metavar="TENANT_ID")
    create.add_argument("--name", required=True, help="the shop's name")
    create.add_argument("--country", help="ISO 3166 alpha-2, for phone parsing (default US)")
    create.add_argument("--timezone", help="IANA zone, the last resort for quiet hours (default UTC)")
    create.add_argument("--locale", help="en or zh-CN (default en)")
    create.add_argument("--sender-name", help="shop name shown in messages and From")
    create.add_argument("--sender-email", help="From address (verify it in SES)")
    create.add_argument("--sms-number", help="E.164 origination number SMS are sent from")
    create.add_argument("--settings-json", help="any other settings, as PATCH /v1/settings takes them")
    create.set_defaults(run=commands.create_tenant)

    tenant_commands.add_parser("list", help="every tenant's id and name").set_defaults(run=commands.list_tenants)

    show = tenant_commands.add_parser("show", help="settings, flow overrides, keys, sources with a secret")
    show.add_argument("tenant_id", metavar="TENANT_ID")
    show.set_defaults(run=commands.show_tenant)

    plan = tenant_commands.add_parser("set-plan", help="the seller API usage plan (requests per minute)")
    plan.add_argument("tenant_id", metavar="TENANT_ID")
    plan.add_argument("--requests-per-minute", type=int, required=True, help="shared by all the tenant's keys")
    plan.set_defaults(run=commands.set_plan)

    rotate = tenant_commands.add_parser("rotate-secret", help="set a new webhook signing secret for one source")
    rotate.add_argument("tenant_id", metavar="TENANT_ID")
    rotate.add_argument("--source", required=True, choices=commands.WEBHOOK_SOURCES)
    rotate.add_argument(
        "--secret",
        help="the secret to use (Shopify: the app's client secret); '-' reads it from stdin; made here when left out",
    )
    rotate.set_defaults(run=commands.rotate_secret)

    keys = groups.add_parser("keys", help="a tenant's seller API keys")
    key_commands = keys.add_subparsers(dest="command", required=True, metavar="{create,list,revoke}")
    key_create = key_commands.add_parser("create", help="a new API key: prints it (once)")
    key_create.add_argument("tenant_id", metavar="TENANT_ID")
    key_create.add_argument("--name", required=True, help="what the key is for, e.g. the integration's name")
    key_create.set_defaults(run=commands.create_key)
    key_list = key_commands.add_parser("list", help="key ids, names and dates (never the keys)")
    key_list.add_argument("tenant_id", metavar="TENANT_ID")
    key_list.set_defaults(run=commands.list_keys)
    key_revoke = key_commands.add_parser("revoke", help="the key stops working at once")
    key_revoke.add_argument("tenant_id", metavar="TENANT_ID")
    key_revoke.add_argument("key_id", metavar="KEY_ID")
    key_revoke.set_defaults(run=commands.revoke_key)
    return parser


def execute(argv: list[str], stdout: IO[str], stderr: IO[str], prepare: Callable[[], None] | None = None) -> int:
    """Run one command (no target options) against the tables the environment names; `prepare`
    runs once the command line is valid, before the command (e.g. to bind a stack's tables)."""
    from pydantic import ValidationError

    # The store is imported by the command, once `prepare` has bound the stack's tables.
    from huike.core.errors import HuikeError, NotFound

    try:
        options = build_parser().parse_args(argv)
    except _HelpShown as shown:
        stdout.write(str(shown))
        return EXIT_OK
    except UsageError as exc:
        return _fail(stderr, EXIT_USAGE, str(exc))
    try:
        if prepare is not None:
            prepare()
        result = options.run(options)
    except NotFound as exc:
        return _fail(stderr, EXIT_FAILED, str(exc))
    except ValidationError as exc:
        errors = [{"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return _fail(stderr, EXIT_USAGE, "invalid settings; nothing was changed", errors=errors)
    except HuikeError as exc:  # 400 bad input, 409 a tenant id that is taken (huike.store.tenants.TenantExists)
        return _fail(stderr, EXIT_USAGE, f"{exc}; nothing was changed" if exc.status == 409 else str(exc))
    except Exception as exc:  # an AWS error (credentials, permissions, no such stack): said, not a traceback
        return _fail(stderr, EXIT_FAILED, f"{type(exc).__name__}: {exc}")
    stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """The command line: a target, then the command (see the module docstring)."""
    from huike.admin import targets

    try:
        target, command = split_target(list(sys.argv[1:] if argv is None else argv))
        command = _secret_from_stdin(command)
    except UsageError as exc:
        return _fail(sys.stderr, EXIT_USAGE, str(exc))
    if target is None:
        if not command or command[0] in ("-h", "--help"):
            return execute(["--help"], sys.stdout, sys.stderr)
        return _fail(
            sys.stderr, EXIT_USAGE, "choose a target first: --stack STACK_NAME (a deployed stage) or --local [URL]"
        )
    kind, value, region = target
    if kind == "local":
        try:  # bad input and --help are answered here, without a runtime
            build_parser().parse_args(command)
        except _HelpShown as shown:
            sys.stdout.write(str(shown))
            return EXIT_OK
        except UsageError as exc:
            return _fail(sys.stderr, EXIT_USAGE, str(exc))
        code, out, err = targets.run_local(value, command)
        sys.stdout.write(out)
        sys.stderr.write(err)
        return code
    return execute(command, sys.stdout, sys.stderr, prepare=lambda: targets.use_stack(value, region))


def split_target(argv: list[str]) -> tuple[tuple[str, str, str | None] | None, list[str]]:
    """The leading target options and the command after them: (("stack", name, region) or
    ("local", url, None) or None, command)."""
    stack: str | None = None
    region: str | None = None
    local: str | None = None
    rest = list(argv)
    while rest and rest[0].startswith("--"):
        option, equals, value = rest[0].partition("=")
        if option == "--local":
            if equals:
                local, rest = value, rest[1:]
            elif len(rest) > 1 and rest[1].startswith(("http://", "https://")):
                local, rest = rest[1], rest[2:]
            else:
                local, rest = DEFAULT_LOCAL_URL, rest[1:]
        elif option in ("--stack", "--region"):
            if equals:
                rest = rest[1:]
            elif len(rest) > 1 and not rest[1].startswith("-"):
                value, rest = rest[1], rest[2:]
            if not value:
                raise UsageError(f"{option} needs a value")
            stack, region = (value, region) if option == "--stack" else (stack, value)
        else:
            break
    if stack is not None and local is not None:
        raise UsageError("choose one target: --stack or --local, not both")
    if region is not None and stack is None:
        raise UsageError("--region goes with --stack (the local runtime has one region)")
    if local is not None:
        if not local.startswith(("http://", "https://")):
            raise UsageError(f"--local takes an http(s) URL, not {local!r}")
        return ("local", local, None), rest
    return (("stack", stack, region) if stack is not None else None), rest


def _secret_from_stdin(command: list[str]) -> list[str]:
    """`--secret -` reads the secret from stdin, so it stays out of shell history and `ps`."""
    for index, argument in enumerate(command):
        if argument == "--secret" and command[index + 1 : index + 2] == ["-"]:
            return [*command[: index + 1], sys.stdin.readline().strip(), *command[index + 2 :]]
        if argument == "--secret=-":
            return [*command[:index], f"--secret={sys.stdin.readline().strip()}", *command[index + 1 :]]
    return command


def _fail(stderr: IO[str], code: int, message: str, **details: Any) -> int:
    stderr.write(json.dumps({"error": message, **details}, ensure_ascii=False) + "\n")
    return code
