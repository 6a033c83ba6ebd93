"""(d) Cold import time of every function in template.yaml, against `import boto3` + one client."""

from __future__ import annotations

import statistics
import subprocess
import sys

from benchmarks.tables import print_table
from infra.local.lambdas import LAYER_PATH
from infra.local.template import local_template

TARGET_RATIO = 1.3
RUNS = 5
BASELINE = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"


def timed_import(code: str, cwd: str, env: dict[str, str]) -> float:
    script = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    result = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{code!r} failed in {cwd}: {result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


def measure(base_env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Median in-process import time per function's handler module, in fresh interpreters."""
    env = {**base_env, "PYTHONPATH": str(LAYER_PATH), "AWS_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1"}
    functions = local_template().functions()
    baseline_runs: list[float] = []
    function_runs: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(RUNS):  # interleaved, so drift hits every side alike
        baseline_runs.append(timed_import(BASELINE, str(LAYER_PATH.parent), env))
        for name, spec in functions.items():
            module = spec.handler.rpartition(".")[0]
            function_runs[name].append(
                timed_import(f"import {module}", str(spec.code_dir), {**env, **spec.environment})
            )
    return statistics.median(baseline_runs), {name: statistics.median(runs) for name, runs in function_runs.items()}


def print_ratios(baseline: float, medians: dict[str, float]) -> None:
    rows: list[list[object]] = [["import boto3 + dynamodb client (baseline)", f"{baseline:.3f}", "1.00", "", ""]]
    for name, seconds in medians.items():
        ratio = seconds / baseline
        verdict = "ok" if ratio <= TARGET_RATIO else "OVER"
        rows.append([f"{name} (import app)", f"{seconds:.3f}", f"{ratio:.2f}", f"<= {TARGET_RATIO}", verdict])
    print_table(
        f"(d) Cold import: median of {RUNS} fresh interpreters (interpreter startup excluded), interleaved",
        ["each function's handler module as Lambda imports it: its CodeUri on the path, plus the layer"],
        ["module", "seconds", "ratio", "target", ""],
        rows,
        align="lrrrl",
    )
