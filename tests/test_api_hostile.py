"""The public API under hostile input, property-based (Hypothesis).

Every generated call, valid or not, must end in one of two ways:

- a finite result of the right shape, or
- a ``ValueError``/``TypeError`` raised by steerlens itself (not by torch or
  numpy underneath) whose message names one of the function's arguments in
  backticks;

and in both cases the inputs are untouched and every submodule of every model
is back in the mode it was in. About 600 generated calls per run, derandomized
(the same calls on every machine), well under a minute on one core.
"""

from __future__ import annotations

import math
import re
import traceback
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import steerlens
from steerlens import data, evaluate, models, plot, resample, signals, widgets

PACKAGE = Path(steerlens.__file__).resolve().parent
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CALLS = {"n": 0}


# ---------------------------------------------------------------------------
# the contract
# ---------------------------------------------------------------------------


def _snapshot(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_snapshot(v) for v in obj)
    return obj


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and bool(
            torch.equal(torch.nan_to_num(a.detach()), torch.nan_to_num(b))
            and torch.equal(a.detach().isnan(), b.isnan())
        )
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b if not callable(a) else True


def _modes(model_list):
    return [[m.training for m in model.modules()] for model in model_list]


def call(fn, args: dict, *, names, models_=(), check=None):
    """Call ``fn(**args)`` and assert the hostile-input contract; return the result or None."""
    CALLS["n"] += 1
    before = {k: _snapshot(v) for k, v in args.items()}
    modes = _modes(models_)
    try:
        out = fn(**args)
    except (ValueError, TypeError) as err:
        frame = traceback.extract_tb(err.__traceback__)[-1]
        assert Path(frame.filename).resolve().is_relative_to(PACKAGE), (
            f"{type(err).__name__} raised outside steerlens ({frame.filename}:{frame.lineno}): {err}"
        )
        named = {re.split(r"[\[.]", m)[0] for m in re.findall(r"`([^`]+)`", str(err))}
        assert named & set(names), f"error names no argument of {names}: {err}"
        out = None
    else:
        if check is not None:
            check(out)
    for k, v in before.items():
        assert _same(args[k], v), f"`{k}` was modified"
    assert _modes(models_) == modes, "a model's train/eval mode was not restored"
    return out


def finite(t) -> bool:
    if isinstance(t, torch.Tensor):
        return bool(torch.isfinite(t.float() if t.dtype != torch.bool else t.float()).all())
    return bool(np.isfinite(np.asarray(t, dtype=float)).all())


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------

KINDS = ["valid"] * 14 + ["nan", "inf", "big", "int", "rank3", "numpy", "list", "empty"]


@st.composite
def images(draw, channels=(1, 3), sizes=(4, 12), kinds=KINDS, dtypes=(torch.float32,)):
    b = draw(st.integers(1, 3))
    c = draw(st.sampled_from(channels))
    h = draw(st.integers(*sizes))
    w = draw(st.integers(*sizes))
    seed = draw(st.integers(0, 2**16))
    kind = draw(st.sampled_from(kinds))
    dtype = draw(st.sampled_from(dtypes))
    x = torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(seed)).to(dtype)
    if kind == "nan":
        x[0, 0, 0, 0] = float("nan")
    elif kind == "inf":
        x[-1, -1, -1, -1] = float("inf")
    elif kind == "big":
        x = x * 4 - 1
    elif kind == "int":
        x = (x * 255).to(torch.uint8)
    elif kind == "rank3":
        x = x[0]
    elif kind == "numpy":
        x = x.numpy()
    elif kind == "list":
        x = x.tolist()
    elif kind == "empty":
        x = x[:0]
    return x


class Net(nn.Module):
    """Any-size images → logits through BatchNorm (train mode would make calls differ)."""

    def __init__(self, classes: int, output: str, seed: int):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Linear(4, classes)
        with torch.no_grad():
            self.head.weight.copy_(torch.randn(classes, 4, generator=g))
        self.output = output

    def forward(self, x):
        z = self.head(self.bn(self.pool(x.mean(1, keepdim=True)).flatten(1)))
        if self.output == "dict":
            return {"logits": z, "features": z}
        if self.output == "dict_bad":
            return {"scores": z}
        if self.output == "1d":
            return z[:, 0]
        if self.output == "nan":
            return z * float("nan")
        if self.output == "int":
            return z.round().long()
        if self.output == "tuple":
            return (z,)
        return z


@st.composite
def nets(draw):
    classes = draw(st.integers(2, 5))
    output = draw(st.sampled_from(["logits"] * 14 + ["dict", "dict_bad", "1d", "nan", "int", "tuple"]))
    net = Net(classes, output, draw(st.integers(0, 1000)))
    mode = draw(st.sampled_from(["eval", "train", "mixed"]))
    if mode == "train":
        net.train()
    elif mode == "mixed":
        net.train()
        net.head.eval()
    else:
        net.eval()
    return net


def targets(batch: int):
    valid = st.one_of(
        st.integers(0, 1),
        st.lists(st.integers(0, 1), min_size=batch, max_size=batch),
        st.builds(lambda v: torch.tensor(v), st.lists(st.integers(0, 1), min_size=batch, max_size=batch)),
    )
    return st.one_of(valid, valid, valid, valid, valid, valid, st.one_of(
        st.integers(-2, 6),
        st.lists(st.integers(-1, 5), min_size=batch, max_size=batch),
        st.lists(st.integers(0, 4), min_size=0, max_size=4),
        st.builds(lambda v: torch.tensor(v, dtype=torch.long), st.lists(st.integers(-1, 5), min_size=batch, max_size=batch)),
        st.builds(lambda v: torch.tensor(v), st.lists(st.floats(0, 4, allow_nan=False), min_size=batch, max_size=batch)),
        st.floats(allow_nan=True),
        st.sampled_from([True, "cat", None, 1.0]),
    ))


def _batch(x) -> int:
    if isinstance(x, torch.Tensor) and x.ndim == 4:
        return x.shape[0]
    return 2


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------


@settings(max_examples=120, **SETTINGS)
@given(data=st.data(), net=nets(), x=images(dtypes=(torch.float32, torch.float32, torch.float16)))
def test_target_probability(data, net, x):
    target = data.draw(targets(_batch(x)))
    batch_size = data.draw(st.sampled_from([256, 256, 256, 1, 2, 0, 2.5]))

    def check(p):
        assert p.shape == (x.shape[0],) and finite(p) and bool(((p >= 0) & (p <= 1)).all())
        again = evaluate.target_probability(net, x, target, batch_size)
        assert torch.equal(p, again)  # eval mode: identical calls, identical results

    call(
        evaluate.target_probability,
        {"model": net, "x": x, "target": target, "batch_size": batch_size},
        names={"model", "x", "target", "batch_size"},
        models_=[net],
        check=check,
    )


@settings(max_examples=70, **SETTINGS)
@given(data=st.data(), a=nets(), b=nets(), x=images(dtypes=(torch.float32, torch.bfloat16)))
def test_judge_agreement(data, a, b, x):
    target = data.draw(targets(_batch(x)))
    judges = data.draw(st.sampled_from(["dict", "dict", "list", "list", "one", "empty", "bad"]))
    judges = {"dict": {"a": a, "b": b}, "list": [a, b], "one": a, "empty": {}, "bad": 3}[judges]

    def check(out):
        assert set(out) >= {"all"}
        for v in out.values():
            assert v.dtype == torch.bool and v.shape == (x.shape[0],)

    call(
        evaluate.judge_agreement,
        {"judges": judges, "x": x, "target": target},
        names={"judges", "x", "target"},
        models_=[a, b],
        check=check,
    )


@settings(max_examples=40, **SETTINGS)
@given(
    x0=images(
        sizes=(6, 10),
        kinds=["valid"] * 6 + ["nan", "big", "int", "rank3"],
        dtypes=(torch.float32, torch.float32, torch.float16),
    ),
    change=st.sampled_from(["same", "noise", "roll", "shape", "nan"]),
    grid=st.sampled_from([2, 3, 1, 2.5, "8"]),
    gain=st.booleans(),
)
def test_warp_energy(x0, change, grid, gain):
    x1 = x0
    if isinstance(x0, torch.Tensor) and x0.dtype.is_floating_point and x0.ndim == 4:
        if change == "noise":
            x1 = (x0 + 0.1 * torch.randn_like(x0)).clamp(0, 1)
        elif change == "roll":
            x1 = torch.roll(x0, 1, dims=-1)
        elif change == "shape":
            x1 = x0[..., :-2, :]
        elif change == "nan":
            x1 = x0.clone()
            x1[..., 0, 0] = float("nan")

    def check(e):
        assert e.shape == (x0.shape[0],) and e.dtype == x0.dtype
        assert finite(e) and bool(((e >= 0) & (e <= 1)).all())

    call(
        evaluate.warp_energy,
        {"x0": x0, "x1": x1, "grid": grid, "gain": gain, "iterations": 2},
        names={"x0", "x1", "grid", "gain", "iterations"},
        check=check,
    )


valid_sample = st.lists(st.floats(-1e6, 1e6), min_size=6, max_size=6)
samples = st.one_of(
    valid_sample, valid_sample, valid_sample, valid_sample, valid_sample, valid_sample,
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=12),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=6),
    st.builds(lambda v: torch.tensor(v, dtype=torch.float64), st.lists(st.floats(-5, 5), min_size=1, max_size=8)),
    st.sampled_from(["abc", None, [[1.0, 2.0]], ["x", "y"]]),
)


@settings(max_examples=90, **SETTINGS)
@given(
    values=st.dictionaries(st.sampled_from(["a", "b", "c"]), samples, max_size=3),
    statistic=st.sampled_from(["median", "median", "mean", "sum", "mode", np.mean]),
    n_boot=st.sampled_from([1, 7, 50, 50, 50, 0, 2.0]),
    level=st.sampled_from([0.95] * 6 + [0.5, 0.0, 1.0, float("nan"), "95%", 2]),
    seed=st.sampled_from([0] * 5 + [3, -1, 0.5, None, True]),
)
def test_paired_bootstrap(values, statistic, n_boot, level, seed):
    def check(out):
        assert set(out) == set(values)
        for est, lo, hi in out.values():
            assert all(math.isfinite(v) for v in (est, lo, hi)) and lo <= hi

    call(
        evaluate.paired_bootstrap,
        {"values": values, "statistic": statistic, "n_boot": n_boot, "level": level, "seed": seed},
        names={"values", "statistic", "n_boot", "level", "seed"},
        check=check,
    )


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

numbers = st.one_of(
    st.floats(-4, 4),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.floats(-3, 3), min_size=0, max_size=3),
    st.sampled_from(["ab", None]),
)


@settings(max_examples=70, **SETTINGS)
@given(
    offset=numbers,
    sigma=st.one_of(st.floats(0.5, 3), st.sampled_from([0.0, -1.0, float("nan"), "2"])),
    contrast=st.one_of(st.floats(0, 0.5), st.sampled_from([float("inf"), [0.1, 0.2, 0.3]])),
    size=st.sampled_from([16, 32, 7, 9, 4, 2.5]),
)
def test_render_blobs(offset, sigma, contrast, size):
    def check(x):
        n = 1 if not isinstance(offset, list) else len(offset)
        assert x.shape == (n, 1, size, size) and finite(x)

    call(
        data.render_blobs,
        {"offset": offset, "sigma": sigma, "contrast": contrast, "size": size},
        names={"offset", "sigma", "contrast", "size"},
        check=check,
    )


@settings(max_examples=40, **SETTINGS)
@given(
    n=st.sampled_from([2, 4, 6, 4, 6, 3, 0, -2, 2.0]),
    seed=st.sampled_from([0, 1, 2, 3, -1, 1.5]),
    size=st.sampled_from([16, 32, 16, 32, 15, 8]),
    min_offset=st.sampled_from([0.0, 1.0, 0.5, 1.0, -1.0, float("nan")]),
    max_offset=st.sampled_from([3.0, 3.0, 2.0, 0.5, 100.0, float("inf")]),
)
def test_shifted_blobs(n, seed, size, min_offset, max_offset):
    def check(ds):
        assert len(ds) == n and ds.images.shape == (n, 1, size, size) and finite(ds.images)
        image, label, offset = ds[n - 1]
        assert image.shape == (1, size, size) and bool((offset > 0) == (label == 1))

    call(
        data.ShiftedBlobs,
        {"n": n, "seed": seed, "size": size, "min_offset": min_offset, "max_offset": max_offset},
        names={"n", "seed", "size", "min_offset", "max_offset"},
        check=check,
    )


@settings(max_examples=15, **SETTINGS)
@given(
    split=st.sampled_from(["train", "test", "test", "val"]),
    n=st.sampled_from([2, 4, 3]),
    size=st.sampled_from([32, 32, 34, 31]),
    sources=st.sampled_from([None, None, ("chelsea",), ("chelsea",), (), ("eagle",), ("nope",)]),
)
def test_natural_shifts(split, n, size, sources):
    def check(ds):
        image, label, offset = ds[0]
        assert len(ds) == n and image.shape == (3, size, size) and finite(image)

    call(
        data.NaturalShifts,
        {"split": split, "n": n, "size": size, "sources": sources},
        names={"split", "n", "size", "sources", "name"},
        check=check,
    )


# ---------------------------------------------------------------------------
# signals / resample
# ---------------------------------------------------------------------------

shifts = st.one_of(
    st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
    st.lists(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), min_size=1, max_size=3),
    st.sampled_from(["ab", (1.0,), (1.0, 2.0, 3.0), (float("nan"), 0.0), None, torch.zeros(2)]),
)


@settings(max_examples=60, **SETTINGS)
@given(
    image=images(kinds=["valid"] * 5 + ["nan", "int", "numpy", "rank3"], dtypes=(torch.float32, torch.float64, torch.float16)),
    shift=shifts,
)
def test_translate(image, shift):
    def check(out):
        stack = isinstance(shift, list)
        expected = (len(shift), *image.shape) if stack else tuple(image.shape)
        assert tuple(out.shape) == expected and out.dtype == image.dtype and finite(out)

    call(signals.translate, {"image": image, "shift": shift}, names={"image", "shift"}, check=check)


@settings(max_examples=50, **SETTINGS)
@given(
    frame=images(kinds=["valid"] * 5 + ["nan", "int", "list", "rank3"], dtypes=(torch.float32, torch.float16)),
    reference=st.sampled_from(["same", "first", "shape", "nan"]),
    iterations=st.sampled_from([3, 0, 1, -1, 2.0]),
    window=st.booleans(),
)
def test_measure_shift(frame, reference, iterations, window):
    ref = frame
    if isinstance(frame, torch.Tensor) and frame.dtype.is_floating_point and frame.ndim == 4:
        ref = {
            "same": frame[0],
            "first": frame[0, :1],
            "shape": frame[0, :, :-1],
            "nan": frame[0] * float("nan"),
        }[reference]

    def check(d):
        batch = frame.shape[0] if frame.ndim == 4 else None
        assert tuple(d.shape) == ((batch, 2) if batch else (2,)) and finite(d)

    call(
        resample.measure_shift,
        {"frame": frame, "reference": ref, "iterations": iterations, "window": window},
        names={"frame", "reference", "iterations", "window"},
        check=check,
    )


# ---------------------------------------------------------------------------
# pictures
# ---------------------------------------------------------------------------

pictures = st.one_of(
    images(kinds=["valid", "nan", "int", "big", "empty"]).map(lambda x: x[0] if isinstance(x, torch.Tensor) and x.ndim == 4 and len(x) else x),
    st.builds(lambda h, w: np.random.default_rng(h * w).integers(0, 256, (h, w, 3)).astype(np.uint8), st.integers(0, 6), st.integers(1, 6)),
    st.builds(lambda h: np.full((h, 3), np.nan), st.integers(1, 4)),
    st.sampled_from([[[0.0, 1.0]], None, torch.zeros(2, 3, 4, 5), torch.zeros(4, 4, dtype=torch.complex64)]),
)


@settings(max_examples=50, **SETTINGS)
@given(image=pictures)
def test_to_image(image):
    def check(a):
        assert a.dtype == np.float32 and finite(a) and a.min() >= 0 and a.max() <= 1

    call(plot.to_image, {"image": image}, names={"image"}, check=check)


@settings(max_examples=40, **SETTINGS)
@given(image=pictures, min_size=st.sampled_from([0, 16, -1, 2.5]))
def test_png_bytes(image, min_size):
    def check(b):
        assert isinstance(b, bytes) and b[:4] == b"\x89PNG"

    call(widgets.png_bytes, {"image": image, "min_size": min_size}, names={"image", "min_size"}, check=check)


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------


@settings(max_examples=30, **SETTINGS)
@given(net=nets(), fail=st.booleans())
def test_eval_mode_restores_every_submodule(net, fail):
    before = _modes([net])
    try:
        with models.eval_mode(net) as m:
            assert m is net and not any(mod.training for mod in net.modules())
            if fail:
                raise RuntimeError("inside the block")
    except RuntimeError:
        assert fail
    assert _modes([net]) == before
    CALLS["n"] += 1


def test_enough_calls_were_generated():
    # runs last in this file (pytest keeps file order): the generated calls above
    if CALLS["n"] == 0:
        pytest.skip("run together with the property tests above")
    assert CALLS["n"] >= 500, CALLS["n"]


def test_one_number_check_for_the_lens_and_the_widgets():
    """Lens and widgets share `_checks.check_number`: NumPy scalars and one-element real tensors
    are numbers; bools, complex values, strings and NaN are refused naming the argument."""
    from steerlens._checks import check_number
    from steerlens.lens import _lens, _results
    from steerlens.widgets import _helpers

    assert _lens.check_number is _results.check_number is _helpers._check_number is check_number
    for value in (2, 2.0, np.float32(2.0), np.int64(2), torch.tensor(2.0), torch.tensor([2])):
        assert check_number(value, "alpha") == 2.0
    for value in (True, 1 + 2j, torch.tensor(1 + 2j), "2", torch.ones(2), None):
        with pytest.raises(TypeError, match="`alpha` must be a number"):
            check_number(value, "alpha")
    for value in (float("nan"), np.float64("inf"), torch.tensor(float("-inf"))):
        with pytest.raises(ValueError, match="`alpha` must be finite"):
            check_number(value, "alpha")
