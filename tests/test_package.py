"""The package: metadata, public surface, and that its data ships in the wheel."""

from __future__ import annotations

import importlib.resources
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import steerlens as sl

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_set():
    assert isinstance(sl.__version__, str)
    major, minor, *_ = sl.__version__.split(".")
    assert major.isdigit() and minor.isdigit()


def test_public_names_resolve():
    for name in sl.__all__:
        assert getattr(sl, name) is not None, name


def test_unknown_attribute_is_a_clear_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sl.nope  # noqa: B018


def _package_data_files() -> list[str]:
    root = importlib.resources.files("steerlens")
    out = []
    for sub in ("weights", "assets"):
        d = root / sub
        if d.is_dir():
            out += [f"{sub}/{p.name}" for p in d.iterdir() if p.is_file() and not p.name.startswith(".")]
    return out


def test_package_data_found_through_importlib_resources():
    files = _package_data_files()
    for rel in files:
        assert (importlib.resources.files("steerlens") / rel).read_bytes(), rel


@pytest.mark.slow
def test_wheel_contains_package_data(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("steerlens-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "steerlens/__init__.py" in names
    assert "steerlens/transforms/__init__.py" in names and "steerlens/lens/__init__.py" in names
    for rel in _package_data_files():
        assert f"steerlens/{rel}" in names, f"{rel} is missing from the wheel: add it to package-data"


PUBLIC_MODULES = ["resample", "transforms", "lens", "flow", "magnify", "signals", "data", "models",
                  "evaluate", "plot", "widgets"]
# what a callable does that can raise: a raise statement or a call of the package's check helpers
_RAISES = ("raise ", "check_", "_check", "as_class_tensor", "class_index")


def _public_callables():
    import importlib
    import inspect

    for name in PUBLIC_MODULES:
        module = importlib.import_module(f"steerlens.{name}")
        for attr in module.__all__:
            obj = getattr(module, attr, None)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{name}.{attr}", obj


def test_public_callables_that_can_raise_document_it():
    # The bad-input contract is part of the API: a public function or class whose own code
    # raises, or calls the argument checks, says what it raises (numpydoc `Raises` section).
    import inspect
    import textwrap

    undocumented = []
    for qualname, obj in _public_callables():
        try:
            source = textwrap.dedent(inspect.getsource(obj.__init__ if inspect.isclass(obj) else obj))
        except (TypeError, OSError):
            continue
        body = source.split('"""', 2)[-1]  # the code after the docstring
        if any(token in body for token in _RAISES) and "Raises" not in (inspect.getdoc(obj) or ""):
            undocumented.append(qualname)
    assert undocumented == [], f"public callables without a Raises section: {undocumented}"


def test_documented_parameters_are_real_parameters():
    # numpydoc's Parameters section as the API page's renderer (napoleon) reads it: a paragraph
    # left at the section's indentation becomes a bogus "parameter" (the API page once listed
    # `still`, `works` and `DeprecationWarning` as parameters of SteerableLens).
    import inspect
    import re

    napoleon = pytest.importorskip("sphinx.ext.napoleon")
    config = napoleon.Config(napoleon_use_param=True, napoleon_numpy_docstring=True)
    bogus = []
    for qualname, obj in _public_callables():
        doc = inspect.getdoc(obj)
        if not doc or "Parameters\n----------" not in doc:
            continue
        target = obj.__init__ if inspect.isclass(obj) else obj
        try:
            names = set(inspect.signature(target).parameters)
        except (TypeError, ValueError):
            continue
        parsed = str(napoleon.NumpyDocstring(doc, config))
        for documented in re.findall(r"^:param ([^:]+):", parsed, flags=re.M):
            for name in (n.replace("\\", "").strip().lstrip("*") for n in documented.split(",")):
                if name not in names:
                    bogus.append(f"{qualname}: {name!r}")
    assert bogus == [], f"documented parameters that the signature does not have: {bogus}"
