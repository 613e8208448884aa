"""Tested like Colab: the wheel in a fresh environment, the notebook and student editions run
outside the repository with a plain kernel.

The test builds steerlens's wheel, installs it with its ``notebooks`` extra into a new virtual
environment *without* requirements/constraints.txt (every dependency at its newest allowed
version, as Colab's pip would have it), writes the notebook edition and the student edition,
copies them to a folder outside the repository and runs every chapter of both, top to bottom,
with that environment's ``python3`` kernel and torch's own thread count. It fails on any cell
error, on any MyST syntax left in a Markdown cell, and on an exercise check that does not say
"not attempted yet" (no answer is written in these editions). The run times are printed.

It needs the package registries (pip), like the README's install; it is part of `make test`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def _sh(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode:
        pytest.fail(f"`{' '.join(map(str, cmd))}` failed ({proc.returncode}):\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """(python of a fresh environment with the wheel installed, folder with both editions);
    the environment is deleted after the module's tests."""
    import notebook_edition
    import student_edition

    tmp = tmp_path_factory.mktemp("colab")
    assert ROOT not in tmp.parents
    t0 = time.perf_counter()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_CONSTRAINT", "STEERLENS_NUM_THREADS",
                        "STEERLENS_OFFLINE", "MPLBACKEND")}
    _sh([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", tmp / "dist", ROOT], env=env)
    wheel = next((tmp / "dist").glob("steerlens-*.whl"))
    _sh([sys.executable, "-m", "venv", tmp / "env"], env=env)
    python = tmp / "env" / "bin" / "python"
    _sh([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], env=env)
    _sh([python, "-m", "pip", "install", "-q", f"{wheel}[notebooks]"], env=env, cwd=tmp)
    installed = time.perf_counter() - t0
    run = tmp / "run"
    notebook_edition.write_notebook_edition(run / "notebooks")
    student_edition.write_student_edition(run / "student", edition=tmp / "edition")
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    yield python, run, env, installed
    # the environment holds a second PyTorch (about 6 GB): pytest keeps its last three temporary
    # folders, and three of these would fill a small CI disk
    shutil.rmtree(tmp, ignore_errors=True)


def _run_folder(fresh, folder: str, capsys):
    python, run, env, installed = fresh
    paths = sorted((run / folder).glob("*.ipynb"))
    assert len(paths) >= 13
    for p in paths:  # MyST left in a Markdown cell is a failure before anything runs
        import notebook_edition

        left = notebook_edition.myst_left(nbformat.read(p, as_version=4))
        assert not left, f"{folder}/{p.name}: {left}"
    runner = run / "colab_runner.py"
    shutil.copy2(ROOT / "tests" / "colab_runner.py", runner)
    t0 = time.perf_counter()
    proc = subprocess.run([str(python), str(runner), *map(str, paths)], capture_output=True,
                          text=True, env=env, cwd=run)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and len(results) == len(paths), proc.stderr[-3000:]
    total = time.perf_counter() - t0
    times = ", ".join(f"{r['notebook'][:2]} {r['seconds']:.0f} s" for r in results)
    with capsys.disabled():  # the run times belong in the test log
        print(f"\nColab-like: wheel built and installed in a fresh environment in {installed:.0f} s; "
              f"{folder} edition: {len(results)} notebooks in {total:.0f} s ({times})")
    for r in results:
        assert r["error"] is None, f"{folder}/{r['notebook']} failed:\n{r['error']}"
        for text in r["checks"]:
            assert "not attempted yet" in text, f"{folder}/{r['notebook']}: check printed {text!r}"
    return results


def test_the_notebook_edition_runs_like_colab(fresh, capsys):
    results = _run_folder(fresh, "notebooks", capsys)
    assert sum(len(r["checks"]) for r in results) >= 35


def test_the_student_edition_runs_like_colab(fresh, capsys):
    results = _run_folder(fresh, "student", capsys)
    assert sum(len(r["checks"]) for r in results) >= 35
