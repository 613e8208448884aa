"""Run notebooks the way a reader's Colab or JupyterLab does: used by tests/test_colab_like.py.

Runs with the *fresh* environment's Python (not the repository's): executes each notebook
named on the command line top to bottom in a plain ``python3`` kernel, in its own folder, and
prints one JSON line per notebook: its name, seconds, the first cell error (if any), and the
text every exercise check printed.

Usage: ENV/bin/python colab_runner.py NOTEBOOK...
"""

import json
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = re.sub(r"\x1b\[[0-9;]*m", "", str(e))[-3000:]
    except Exception as e:  # the kernel died or timed out
        error = f"{type(e).__name__}: {e}"[-3000:]
    checks = []
    for cell in nb.cells:
        if "exercise-check" in cell.metadata.get("tags", []):
            text = ""
            for o in cell.get("outputs", []):
                data = o.get("data", {})
                text += data.get("text/markdown", "") or data.get("text/plain", "") or o.get("text", "")
            checks.append(text.strip())
    return {"notebook": path.name, "seconds": round(time.perf_counter() - t0, 1),
            "error": error, "checks": checks}


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(json.dumps(run(Path(arg))), flush=True)
