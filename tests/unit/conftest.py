"""The unit tier runs without moto and without the local runtime (`make test-fast`: seconds).

A unit test module or test that loads either fails, and so does a unit-only session that ends
with either loaded (e.g. through a conftest or tests/support): a test that needs AWS belongs in
tests/integration, where the `runtime` fixture gives it moto and the real handlers.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator

import pytest

FORBIDDEN = ("moto", "infra.local.runtime")
WHY = "the unit tier runs without moto and the local runtime; move the test to tests/integration"


def loaded() -> set[str]:
    return {name for name in FORBIDDEN if name in sys.modules}


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    before = loaded()
    report = yield
    if isinstance(collector, pytest.Module) and (new := loaded() - before):
        report.outcome = "failed"
        report.longrepr = f"importing {collector.nodeid} loaded {', '.join(sorted(new))}: {WHY}"
    return report


@pytest.fixture(autouse=True)
def _no_aws_emulation(request: pytest.FixtureRequest) -> Iterator[None]:
    if "runtime" in request.fixturenames:  # autouse fixtures set up first: fail before it starts
        pytest.fail(f"{request.node.nodeid} uses the runtime fixture: {WHY}", pytrace=False)
    before = loaded()
    yield
    if new := loaded() - before:
        pytest.fail(f"{request.node.nodeid} loaded {', '.join(sorted(new))}: {WHY}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    unit_only = session.items and all(
        item.path.is_relative_to(session.config.rootpath / "tests" / "unit") for item in session.items
    )
    if unit_only and (present := loaded()):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"unit tier: {', '.join(sorted(present))} loaded during the session: {WHY}"
        if reporter is not None:
            reporter.line("")
            reporter.write_sep("!", message, red=True, bold=True)
        else:
            print(message, file=sys.stderr)
