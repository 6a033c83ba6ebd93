"""A handler's cold start (its import and first invocation) runs without the cyclic collector;
later invocations with it, as before. Each case runs in a fresh interpreter, as a container would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "huike" / "python"


def run_in_new_interpreter(code: str) -> None:
    script = textwrap.dedent(code)
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, capture_output=True, text=True, env={"PYTHONPATH": str(LAYER)})  # noqa: S603
    assert result.returncode == 0, result.stderr


def test_the_collector_is_paused_from_the_import_to_the_end_of_the_first_invocation():
    run_in_new_interpreter(
        """
        import gc
        from huike.core.coldstart import collector_paused_on_cold_start

        assert not gc.isenabled()  # paused by the import, for the imports that follow it
        seen = []

        @collector_paused_on_cold_start
        def handler(event, context):
            seen.append(gc.isenabled())
            if event == "fail":
                raise RuntimeError("handler failed")
            return event

        try:
            handler("fail", None)
        except RuntimeError:
            pass
        assert gc.isenabled()  # resumed though the first invocation raised
        assert handler("second", None) == "second"
        assert seen == [False, True], seen
        """
    )


def test_a_second_handler_in_the_process_pauses_only_its_own_first_invocation():
    run_in_new_interpreter(
        """
        import gc
        from huike.core.coldstart import collector_paused_on_cold_start

        first = collector_paused_on_cold_start(lambda event, context: gc.isenabled())
        second = collector_paused_on_cold_start(lambda event, context: gc.isenabled())
        assert first({}, None) is False and gc.isenabled()
        assert second({}, None) is False and gc.isenabled()
        assert second({}, None) is True
        """
    )


def test_a_collector_the_host_had_turned_off_stays_off():
    run_in_new_interpreter(
        """
        import gc
        gc.disable()
        from huike.core.coldstart import collector_paused_on_cold_start

        handler = collector_paused_on_cold_start(lambda event, context: gc.isenabled())
        assert handler({}, None) is False
        assert not gc.isenabled()
        """
    )
