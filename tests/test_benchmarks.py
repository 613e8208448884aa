"""The benchmark scripts still run against the current package (their numbers are not tested:
speed targets live in the scripts' own tables)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(
    not os.access("/proc/self/clear_refs", os.W_OK),
    reason="the memory probe resets /proc/self/clear_refs (Linux, writable)",
)
def test_sweep_memory_probe_runs_the_whole_sweep():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sweep.py"), "--memory-probe", "--threads", "1"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "a whole sweep (lens.extrapolate)" in result["stages"]
    assert result["frames"] == 12 * 3 * 224 * 224 * 4  # 12 float32 frames of 3×224×224
