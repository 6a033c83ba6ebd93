"""A handler's first invocation runs without the cyclic collector; later ones with it, as before."""

from __future__ import annotations

import gc

import pytest

from huike.core.coldstart import collector_paused_on_cold_start


def test_only_the_first_invocation_runs_without_the_collector_and_its_state_comes_back():
    seen: list[bool] = []

    @collector_paused_on_cold_start
    def handler(event, context):
        seen.append(gc.isenabled())
        if event == "fail":
            raise RuntimeError("handler failed")
        return event

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        handler("fail", None)
    assert gc.isenabled()  # restored though the first invocation raised
    assert handler("second", None) == "second"
    assert seen == [False, True]


def test_a_collector_already_paused_by_the_host_stays_paused():
    @collector_paused_on_cold_start
    def handler(event, context):
        return gc.isenabled()

    gc.disable()
    try:
        assert handler({}, None) is False
        assert not gc.isenabled()
    finally:
        gc.enable()
