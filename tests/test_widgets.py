"""Tests for steerlens.widgets: the explorer's logic and view, the magnifier, slider_view.

No browser here (see test_browser.py): widgets are driven from Python, the way a reader's
drag arrives in the kernel (a new slider value, then the observers run).
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402

import steerlens as sl  # noqa: E402
from steerlens import magnify, signals, widgets  # noqa: E402
from steerlens.transforms import CSP, rgb_to_yiq  # noqa: E402


class CountingModel(nn.Module):
    """A linear classifier that counts its forward passes."""

    def __init__(self, shape=(1, 16, 16), classes=4, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(shape)), classes))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.net(x)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def grey_images():
    torch.manual_seed(1)
    return 0.25 + 0.5 * torch.rand(3, 1, 16, 16)


@pytest.fixture
def model():
    return CountingModel().eval()


def _png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


# ---------------------------------------------------------------------------
# Explorer: a move is one synthesis and one forward pass
# ---------------------------------------------------------------------------


def test_slider_move_costs_one_synthesis_and_one_forward_pass(model, grey_images, monkeypatch):
    ex = widgets.Explorer(model, grey_images, target=2)
    counts = {"analyze": 0, "synthesize_bands": 0, "gradient": 0}
    for name in ("analyze", "synthesize_bands"):
        original = getattr(CSP, name)

        def counted(self, *a, _name=name, _original=original, **k):
            counts[_name] += 1
            return _original(self, *a, **k)

        monkeypatch.setattr(CSP, name, counted)
    original_gradient = sl.SteerableLens.gradient

    def counted_gradient(self, *a, **k):
        counts["gradient"] += 1
        return original_gradient(self, *a, **k)

    monkeypatch.setattr(sl.SteerableLens, "gradient", counted_gradient)
    ex.set_alpha(0.5)  # the first move builds the cached line (residual image) once
    model.calls = 0
    counts.update(analyze=0, synthesize_bands=0, gradient=0)
    for a in (0.7, 1.3, -0.4, 2.0):
        ex.set_alpha(a)
    assert counts == {"analyze": 0, "synthesize_bands": 4, "gradient": 0}
    assert model.calls == 4
    assert ex.gradient_evaluations == 1


def test_frames_and_readout_match_the_lens(model, grey_images):
    for domain, component in [("csp", "phase"), ("csp", "joint"), ("fourier", "amplitude"), ("pixel", "phase")]:
        ex = widgets.Explorer(model, grey_images, target=1, image=2, domain=domain, component=component)
        s = ex.set_alpha(0.8)
        lens = sl.SteerableLens(model, domain=domain, component=component)
        expected = lens.extrapolate(grey_images[2:3], 1, [0.8])[0, 0]
        torch.testing.assert_close(s.frame, expected, atol=1e-5, rtol=0)
        torch.testing.assert_close(s.probs, model(s.frame[None]).softmax(1)[0], atol=1e-6, rtol=0)
        torch.testing.assert_close(s.difference, s.frame - s.source)
        assert abs(s.target_prob - float(s.probs[1])) < 1e-7 and s.predicted == int(s.probs.argmax())


def test_alpha_zero_gives_the_source_and_first_order_unit(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=3)
    s = ex.set_alpha(0.0)
    assert float((s.frame - grey_images[0]).abs().max()) < 1e-5
    torch.testing.assert_close(s.probs, s.source_probs, atol=1e-5, rtol=0)
    # normalize="l2": a small α changes the image by α in L2 (to first order)
    small = ex.set_alpha(1e-2)
    assert small.change_l2 == pytest.approx(1e-2, rel=0.05)


def test_moving_toward_the_target_raises_its_probability(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=0, domain="pixel")
    p = [ex.set_alpha(a).target_prob for a in (0.0, 0.5, 1.0, 2.0)]
    assert p == sorted(p) and p[-1] > p[0] + 0.05
    assert ex.set_alpha(-1.0).target_prob < p[0]


def test_gradients_are_cached_per_setting(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=0)
    assert ex.gradient_evaluations == 1
    ex.select(image=1)
    ex.select(image=0)
    assert ex.gradient_evaluations == 2
    ex.select(target=3)
    ex.select(component="amplitude")
    assert ex.gradient_evaluations == 4
    ex.select(domain="pixel")
    ex.select(component="joint")  # the pixel domain ignores the component
    ex.select(scales=[0])  # ... and the scales
    ex.select(color="luminance")  # a grey image ignores the colour mode
    assert ex.gradient_evaluations == 5
    assert ex.state.domain == "pixel" and ex.state.alpha == ex.alpha


def test_cache_drops_the_least_recently_used_gradient(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=0, cache_size=2)
    ex.select(image=1)
    ex.select(image=0)  # cached: 0 is now the most recent
    ex.select(image=2)  # evicts 1
    ex.select(image=0)
    assert ex.gradient_evaluations == 3
    ex.select(image=1)
    assert ex.gradient_evaluations == 4


def test_selected_scales_freeze_the_others(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=1, alpha=1.0)
    assert ex.num_scales == 2
    assert ex.select(scales=[0, 1]).scales is None  # every scale: the same lens as None
    s1 = ex.select(scales=[1])
    grad = ex.gradient()
    assert s1.scales == (1,) and grad.step_phase[0] is None and grad.step_phase[1] is not None
    expected = sl.SteerableLens(model, scale_weights=[0.0, 1.0]).extrapolate(grey_images[:1], 1, [1.0])
    torch.testing.assert_close(s1.frame, expected[0, 0], atol=1e-5, rtol=0)
    assert float((ex.select(scales=None).frame - s1.frame).abs().max()) > 1e-3


def test_luminance_mode_keeps_the_chroma():
    torch.manual_seed(2)
    images = 0.3 + 0.4 * torch.rand(1, 3, 16, 16)
    model = CountingModel(shape=(3, 16, 16), classes=3).eval()
    ex = widgets.Explorer(model, images, target=2, color="luminance", alpha=1.0)
    s = ex.state
    yiq_frame, yiq_source = rgb_to_yiq(s.frame[None]), rgb_to_yiq(s.source[None])
    torch.testing.assert_close(yiq_frame[:, 1:], yiq_source[:, 1:], atol=1e-5, rtol=0)
    assert float((yiq_frame[:, 0] - yiq_source[:, 0]).abs().max()) > 1e-3
    assert ex.select(color="rgb").gradient_evaluations == 2  # colour matters for colour images


def test_default_target_is_the_runner_up(model, grey_images):
    ex = widgets.Explorer(model, grey_images)
    probs = model(grey_images[:1]).softmax(1)[0]
    assert ex.state.target == int(probs.argsort(descending=True)[1])


def test_datasets_zoo_names_and_class_names():
    digits = sl.data.mnist_digits(split="test")
    ex = widgets.Explorer("mnist_cnn", digits, n_images=10, target="7")
    assert ex.images.shape == (10, 1, 28, 28)
    assert sorted(ex.labels.tolist()) == list(range(10))  # spread over the classes
    assert ex.class_names == tuple(str(d) for d in range(10)) and ex.state.target == 7
    assert re.fullmatch(r"#\d+ \(label \d\)", ex.image_names[0])
    chosen = widgets.Explorer("mnist_cnn", digits, indices=[5, 17])
    torch.testing.assert_close(chosen.images, digits.images[[5, 17]])
    assert chosen.indices == [5, 17] and chosen.image_names[1].startswith("#17")
    # the zoo's test split is the default
    default = widgets.Explorer("mnist_cnn", n_images=3)
    assert default.images.shape[0] == 3
    # a plain dataset of (image, label) pairs
    pairs = [(torch.full((1, 28, 28), 0.1 * k), k) for k in range(4)]
    plain = widgets.Explorer("mnist_cnn", pairs, indices=[1, 3])
    assert plain.labels.tolist() == [1, 3]


def test_several_models_and_judges(grey_images):
    a, b, judge = CountingModel(seed=0).eval(), CountingModel(seed=1).eval(), CountingModel(seed=2).eval()
    ex = widgets.Explorer({"a": a, "b": b}, grey_images, target=1, judges={"judge": judge}, alpha=1.0,
                          class_names=["w", "x", "y", "z"])
    s = ex.state
    torch.testing.assert_close(s.judge_probs["judge"], judge(s.frame[None]).softmax(1)[0], atol=1e-6, rtol=0)
    assert "judges p(x): judge" in s.readout()
    s_b = ex.select(model="b")
    torch.testing.assert_close(s_b.probs, b(s_b.frame[None]).softmax(1)[0], atol=1e-6, rtol=0)
    assert s_b.model == "b" and ex.gradient_evaluations == 2
    assert not torch.allclose(s_b.frame, s.frame)  # another model's gradient, another edit
    with pytest.raises(ValueError, match="must share one task"):
        widgets.Explorer(a, grey_images, target=1, judges={"other": CountingModel(classes=3).eval()})


def test_sweep_matches_set_alpha(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=2)
    sweep = ex.sweep([0.0, 0.5, 1.0, 1.5])
    for k, a in enumerate([0.0, 0.5, 1.0, 1.5]):
        s = ex.set_alpha(a)
        torch.testing.assert_close(sweep.frames[k], s.frame, atol=1e-5, rtol=0)
        torch.testing.assert_close(sweep.probs[k], s.probs, atol=1e-5, rtol=0)
    labels = sweep.labels()
    assert labels[0].startswith("α = 0 ·") and "p(2) =" in labels[-1]


def test_explorer_rejects_bad_input(model, grey_images):
    with pytest.raises(ValueError, match="`images` is required"):
        widgets.Explorer(model)
    with pytest.raises(TypeError, match="`model` must be a callable"):
        widgets.Explorer(3, grey_images)
    with pytest.raises(ValueError, match="unknown zoo model"):
        widgets.Explorer("no_such_model")
    with pytest.raises(ValueError, match=r"`images` must hold values in \[0, 1\]"):
        widgets.Explorer(model, grey_images * 4)
    with pytest.raises(ValueError, match="`target` holds class 4, outside the model's 4 classes"):
        widgets.Explorer(model, grey_images, target=4)
    with pytest.raises(TypeError, match="`target` must hold integer class indices"):
        widgets.Explorer(model, grey_images, target=1.0)  # never truncated
    with pytest.raises(ValueError, match="not a class name"):
        widgets.Explorer(model, grey_images, target="cat")
    with pytest.raises(ValueError, match="`domain` must be one of"):
        widgets.Explorer(model, grey_images, domain="wavelet")
    with pytest.raises(ValueError, match="`class_names` has 2 names"):
        widgets.Explorer(model, grey_images, class_names=["a", "b"])
    with pytest.raises(ValueError, match="`indices` holds 9"):
        widgets.Explorer(model, grey_images, indices=[0, 9])
    ex = widgets.Explorer(model, grey_images, target=0)
    with pytest.raises(ValueError, match="has 2 scales"):
        ex.select(scales=[2])
    with pytest.raises(ValueError, match="`scales` is empty"):
        ex.select(scales=[])
    with pytest.raises(ValueError, match="`image` must index one of the 3 images"):
        ex.select(image=3)
    with pytest.raises(TypeError, match="unknown setting"):
        ex.select(alpha=1.0)
    with pytest.raises(ValueError, match="`alpha` must be finite"):
        ex.set_alpha(float("nan"))
    with pytest.raises(TypeError, match="`alpha` must be a number"):
        ex.set_alpha("1")
    assert ex.gradient_evaluations == 1 and ex.state.alpha == 0.0  # failed moves change nothing


# ---------------------------------------------------------------------------
# the explorer's view
# ---------------------------------------------------------------------------


def test_view_updates_frame_difference_and_bars_together(model, grey_images):
    view = widgets.explorer(model, grey_images, target=1, static_frames=0, alpha_range=(-1.0, 4.0), alpha=1.0)
    w = view.widget
    before = {k: getattr(w, k).value for k in ("source", "frame", "difference", "probabilities", "status")}
    state = view.set_alpha(3.0)
    after = {k: getattr(w, k).value for k in before}
    assert after["source"] == before["source"]
    for k in ("frame", "difference", "probabilities", "status"):
        assert after[k] != before[k], k
    assert state.alpha == 3.0 and view.explorer.gradient_evaluations == 1
    assert f"{state.target_prob:.2f}" in after["probabilities"]
    assert _png_size(after["frame"]) == (128, 128)  # 16 px enlarged ×8 with sharp pixels
    assert w.alpha.continuous_update and (w.alpha.min, w.alpha.max) == (-1.0, 4.0)
    assert view.last_update_seconds > 0


def test_view_menus_change_the_setting(model, grey_images):
    view = widgets.explorer(model, grey_images, target=1, static_frames=0)
    w = view.widget
    w.domain.value = "pixel"
    assert view.explorer.settings["domain"] == "pixel" and w.component.disabled
    assert all(t.disabled for t in w.scales)
    w.domain.value = "csp"
    assert not w.component.disabled and not any(t.disabled for t in w.scales)
    w.scales[0].value = False
    assert view.explorer.settings["scales"] == (1,)
    w.scales[1].value = False  # the last scale cannot be switched off
    assert w.scales[1].value and view.explorer.settings["scales"] == (1,)
    w.target.value = 3
    w.image.value = 2
    assert view.explorer.state.target == 3 and view.explorer.state.image == 2
    assert "new gradient" in w.status.value


def test_fallback_scrubber_precomputes_frames_with_readout(model, grey_images):
    view = widgets.explorer(model, grey_images, target=2, static_frames=5, alpha_range=(-1.0, 4.0))
    html = view.fallback.data
    assert widgets.FALLBACK_HEADING in html and html.count("<img") == 5
    labels = re.search(r'data-labels="([^"]*)"', html).group(1)
    assert labels.count("p(2) =") == 5 and "α = 4 ·" in labels
    assert 'type="range"' in html and "α = 0 ·" in html  # starts at α = 0, the source
    assert view.explorer.gradient_evaluations == 1


def test_view_displays_the_widget_then_the_fallback(model, grey_images, monkeypatch):
    import IPython.display
    import ipywidgets
    from IPython.display import HTML

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects: shown.extend(objects))
    view = widgets.explorer(model, grey_images, target=2, static_frames=3)
    view._ipython_display_()
    assert len(shown) == 2 and shown[0] is view.widget and isinstance(shown[0], ipywidgets.VBox)
    assert isinstance(shown[1], HTML) and widgets.FALLBACK_HEADING in shown[1].data


def test_explorer_view_rejects_bad_options(model, grey_images):
    with pytest.raises(ValueError, match="static_frames"):
        widgets.explorer(model, grey_images, static_frames=1)
    with pytest.raises(ValueError, match="static_frames"):
        widgets.explorer(model, grey_images, static_frames=25)
    with pytest.raises(ValueError, match="low < high"):
        widgets.explorer(model, grey_images, alpha_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="outside `alpha_range`"):
        widgets.explorer(model, grey_images, alpha_range=(0.0, 1.0), alpha=2.0)


def test_default_slider_range_adapts_to_the_gradient(model, grey_images):
    view = widgets.explorer(model, grey_images, target=0, static_frames=0)
    ex = view.explorer
    low, high = ex.alpha_range
    assert (view.alpha.min, view.alpha.max, view.alpha.step) == (low, high, ex.alpha_step)
    assert 0 < high <= 0.2 * 16 + ex.alpha_step  # capped at an RMS change of 0.2 (then on the grid)
    assert low == pytest.approx(-high / 4, abs=ex.alpha_step)
    position = (view.alpha.value - view.alpha.min) / view.alpha.step  # a position the browser can show
    assert abs(position - round(position)) < 1e-6 and view.alpha.value == ex.alpha
    assert view.alpha.value == pytest.approx(high / 2, abs=ex.alpha_step)


def _anchor_peak(ex):
    """The probed α with the largest target probability, and the first probed α past 0.5."""
    line = ex._lines[ex._key()]
    target = ex.settings["target"]
    points = sorted(line.anchors)
    p = [float(line.anchors[a][0][target]) for a in points]
    above = [a for a, q in zip(points, p, strict=True) if q >= 0.5 and a > 0]
    return points[max(range(len(p)), key=p.__getitem__)], (above[0] if above else None)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), target=st.integers(0, 3), image=st.integers(0, 2),
       domain=st.sampled_from(["csp", "fourier", "pixel"]))
def test_adaptive_range_contains_the_peak_with_headroom(grey_images, seed, target, image, domain):
    ex = widgets.Explorer(CountingModel(seed=seed).eval(), grey_images, target=target, image=image, domain=domain)
    ex.precompute()
    low, high = ex.alpha_range
    peak, crossing = _anchor_peak(ex)
    cap = 0.2 * 16 + ex.alpha_step
    assert low < 0 < high <= cap and len(ex.alpha_grid) <= widgets.logic.LINE_POSITIONS + 1
    assert low <= peak <= high  # the best readout measured is on the slider
    if crossing is not None:  # p(target) passed 0.5: the slider goes twice as far
        assert high >= min(2 * crossing, 0.2 * 16) - 1e-9
    # every slider position is a precomputed frame
    assert all(ex._lines[ex._key()].index(a) is not None for a in ex.alpha_grid.tolist())


def test_adaptive_range_follows_a_new_image_and_target(grey_images):
    ex = widgets.Explorer(CountingModel(seed=3).eval(), grey_images * 0.5, target=0, domain="pixel")
    ex.precompute()
    first = ex.alpha_range
    ex.select(target=3, image=2)
    ex.precompute()
    peak, crossing = _anchor_peak(ex)
    assert ex.alpha_range[0] <= peak <= ex.alpha_range[1]
    fixed = widgets.Explorer(CountingModel(seed=3).eval(), grey_images, target=0, alpha_range=(-1.0, 4.0))
    fixed.select(target=3)
    assert fixed.alpha_range == (-1.0, 4.0) and first != (-1.0, 4.0)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(setting=st.sampled_from([("csp", "phase"), ("csp", "joint"), ("fourier", "amplitude"), ("pixel", "phase")]),
       position=st.integers(0, 24), seed=st.integers(0, 1000))
def test_precomputed_lookup_equals_a_direct_synthesis(grey_images, setting, position, seed):
    model = CountingModel(seed=seed).eval()
    ex = widgets.Explorer(model, grey_images, target=1, domain=setting[0], component=setting[1],
                          alpha_range=(-1.0, 4.0))
    ex.precompute()
    grid = ex.alpha_grid
    a = float(grid[position % len(grid)])
    calls = model.calls
    s = ex.set_alpha(a, exact=False)  # a lookup: no forward pass
    assert model.calls == calls
    torch.testing.assert_close(s.frame, ex.lens().apply(ex.gradient(), a)[0], atol=1e-5, rtol=0)
    exact = model(s.frame[None]).softmax(1)[0]
    if s.exact:  # a position whose readout the line knows
        torch.testing.assert_close(s.probs, exact, atol=1e-5, rtol=0)
    else:  # interpolated between known readouts: within their span
        assert float(s.probs.sum()) == pytest.approx(1.0, abs=1e-5)
    ex.refine()
    torch.testing.assert_close(ex.state.probs, exact, atol=1e-5, rtol=0)
    assert ex.state.exact and ex.set_alpha(a, exact=False).exact  # stored: later moves are exact lookups


def test_refine_fills_the_whole_line_and_interpolation_stays_between_neighbours(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=2, alpha_range=(-1.0, 4.0))
    ex.precompute()
    line = ex._lines[ex._key()]
    missing = len(line.missing())
    assert 0 < missing < len(ex.alpha_grid)  # a few readouts known up front (a quarter, half, ...)
    k = next(k for k in line.missing() if 0 < float(ex.alpha_grid[k]) < 4.0)
    a = float(ex.alpha_grid[k])
    s = ex.set_alpha(a, exact=False)
    known = sorted(line.anchors)
    lo = max(x for x in known if x < a)
    hi = min(x for x in known if x > a)
    p_lo, p_hi = float(line.anchors[lo][0][2]), float(line.anchors[hi][0][2])
    assert min(p_lo, p_hi) - 1e-7 <= s.target_prob <= max(p_lo, p_hi) + 1e-7 and not s.exact
    assert "≈" in s.readout()
    left = ex.refine(count=3)
    assert left == missing - 3 and ex.state.exact
    while ex.refine(count=5):
        pass
    assert line.missing() == []


def test_precompute_costs_frames_and_a_few_batched_forward_passes(grey_images):
    model = CountingModel().eval()
    ex = widgets.Explorer(model, grey_images, target=1)
    calls = model.calls
    ex.precompute()  # adaptive: one batched forward pass on the probe frames
    assert model.calls - calls == 1
    fixed = widgets.Explorer(model, grey_images, target=1, alpha_range=(-1.0, 4.0))
    calls = model.calls
    fixed.precompute()  # fixed: one batched forward pass at the ends, a quarter, half, three quarters
    assert model.calls - calls == 1 and len(fixed._lines[fixed._key()].anchors) == 6
    assert fixed.last_precompute_seconds > 0


def test_widen_doubles_the_range_and_keeps_known_readouts(model, grey_images):
    ex = widgets.Explorer(model, grey_images, target=1, alpha_range=(-1.0, 4.0))
    ex.precompute()
    known = set(ex._lines[ex._key()].anchors)
    assert ex.widen() == (-2.0, 8.0) and ex.alpha_range == (-2.0, 8.0)
    assert known <= set(ex._lines[ex._key()].anchors) and len(ex.alpha_grid) <= 25
    with pytest.raises(ValueError, match="factor"):
        ex.widen(0.5)
    with pytest.raises(TypeError, match="factor"):
        ex.widen("2")
    with pytest.raises(TypeError, match="exact"):
        ex.set_alpha(1.0, exact=1)
    with pytest.raises(ValueError, match="alpha_range"):
        widgets.Explorer(model, grey_images, alpha_range=(1.0, 1.0))
    with pytest.raises(ValueError, match="count"):
        ex.refine(0)


def test_scale_toggles_reuse_the_all_scales_gradient(grey_images, monkeypatch):
    model = CountingModel().eval()
    calls = {"gradient": 0}
    original = sl.SteerableLens.gradient

    def counted(self, *a, **k):
        calls["gradient"] += 1
        return original(self, *a, **k)

    monkeypatch.setattr(sl.SteerableLens, "gradient", counted)
    view = widgets.explorer(model, grey_images, target=1, static_frames=0, alpha_range=(-1.0, 4.0), alpha=1.0)
    assert calls["gradient"] == 1
    w = view.widget
    w.scales[0].value = False  # scale 1 only
    w.scales[0].value = True
    w.scales[1].value = False  # scale 0 only
    assert calls["gradient"] == 1 and view.explorer.gradient_evaluations == 1
    assert "cached gradient" in w.status.value
    # the derived gradient is the one a lens editing only that scale computes
    expected = sl.SteerableLens(model, scale_weights=[1.0, 0.0]).extrapolate(grey_images[:1], 1, [1.0])
    torch.testing.assert_close(view.explorer.state.frame, expected[0, 0], atol=1e-5, rtol=0)


def test_view_drag_is_a_lookup_then_the_exact_readout(model, grey_images):
    view = widgets.explorer(model, grey_images, target=1, static_frames=0, alpha_range=(-1.0, 4.0), alpha=1.0)
    ex, w = view.explorer, view.widget
    line = ex._lines[ex._key()]
    a = float(ex.alpha_grid[line.missing()[0]])
    calls = model.calls
    w.alpha.value = a  # what a drag sends
    assert model.calls == calls and not ex.state.exact  # a lookup: frame precomputed, readout interpolated
    assert "≈" in w.probabilities.value and "until the slider rests" in w.status.value
    frame = w.frame.value
    view.refine()  # what the kernel does when the slider rests
    assert model.calls == calls + 1 and ex.state.exact and "≈" not in w.probabilities.value
    assert w.frame.value == frame
    w.alpha.value = 1.0
    w.alpha.value = a  # a second visit: exact at once, pictures from the PNG cache
    assert model.calls == calls + 1 and ex.state.exact and w.frame.value == frame


def test_slider_steps_are_the_precomputed_grid(model, grey_images):
    for alpha_range in [None, (-2.0, 10.0), (0.0, 6.0), (-2.0, 12.0)]:
        view = widgets.explorer(model, grey_images, target=1, static_frames=0, alpha_range=alpha_range)
        s = view.alpha
        positions = (s.max - s.min) / s.step
        assert abs(positions - round(positions)) < 1e-6 and 10 <= round(positions) <= 24
        assert s.step == view.explorer.alpha_step


def test_widen_button_extends_the_slider(model, grey_images):
    view = widgets.explorer(model, grey_images, target=1, static_frames=0, alpha_range=(-1.0, 4.0), alpha=3.0)
    view.widget.widen.click()
    assert (view.alpha.min, view.alpha.max) == (-2.0, 8.0) and view.alpha.value == 3.0
    assert view.alpha.step == view.explorer.alpha_step and "from -2 to 8" in view.range_note.value


def test_target_is_named_in_the_chart_even_at_probability_zero(grey_images):
    model = nn.Sequential(nn.Flatten(), nn.Linear(256, 4)).eval()
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(torch.tensor([40.0, 0.0, 0.0, -40.0]))
    view = widgets.explorer(model, grey_images, target=3, class_names=["ant", "bee", "cat", "dog"],
                            static_frames=0, top_k=2, alpha_range=(0.0, 1.0))
    chart = view.widget.probabilities.value
    assert view.explorer.state.target_prob < 1e-6
    assert "▶ </span>dog" in chart and "target (dog)" in chart and "p(dog) = 0.00" in chart


def test_pictures_keep_their_aspect_ratio_and_static_parts_hide_in_live_front_ends(model, grey_images):
    view = widgets.explorer(model, grey_images, target=1, static_frames=3)
    for picture in (view.source, view.frame, view.difference):
        assert picture.layout.height == "auto" and picture.layout.width == "100%"
    html = view.fallback.data
    assert "sl-static-only" in html and ".jp-OutputArea-output .sl-static-only" in html
    assert "launch" not in html.lower() and "max-width:100%" in html



# ---------------------------------------------------------------------------
# motion magnification
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip():
    d = signals.sinusoidal_displacement(8, amplitude=0.2, frequency=1.0, fs=8.0)
    video, _ = signals.moving_pattern(d, shape=(32, 32), wavelength=8.0)
    return video, d


def test_magnifier_renders_one_frame_per_move_without_reanalysis(clip, monkeypatch):
    video, d = clip
    phase = magnify.PhaseMagnifier(video, 0.5, 2.0, 8.0, height=2)
    m = widgets.Magnifier(phase, magnify.LinearMagnifier(video, 0.5, 2.0, 8.0))
    assert float(d[m.state.frame, 1].abs()) == float(d[:, 1].abs().max())  # where the motion peaks
    calls = {"analyze": 0, "synthesize": 0}
    for name in calls:
        original = getattr(CSP, name)

        def counted(self, *a, _name=name, _original=original, **k):
            calls[_name] += 1
            return _original(self, *a, **k)

        monkeypatch.setattr(CSP, name, counted)
    s = m.set_alpha(12.0)
    assert calls == {"analyze": 0, "synthesize": 1}
    torch.testing.assert_close(s.phase_based, phase.render(12.0, frame_index=s.frame)[0])
    assert torch.equal(m.set_alpha(0.0).phase_based, video[s.frame])
    s = m.set_frame(3)
    assert s.frame == 3 and torch.equal(s.original, video[3])
    att = m.set_alpha(40.0)
    clipped = m.set_attenuate(True)
    torch.testing.assert_close(clipped.phase_based, phase.render(40.0, frame_index=3, attenuate=True)[0])
    assert float((att.phase_based - clipped.phase_based).abs().max()) > 1e-4


def test_magnifier_rejects_bad_input(clip):
    video, _ = clip
    phase = magnify.PhaseMagnifier(video, 0.5, 2.0, 8.0, height=2)
    with pytest.raises(TypeError, match="PhaseMagnifier"):
        widgets.Magnifier(video)
    with pytest.raises(ValueError, match="same video"):
        widgets.Magnifier(phase, magnify.LinearMagnifier(video[:, :, :16, :16], 0.5, 2.0, 8.0))
    with pytest.raises(ValueError, match=r"`frame` must be in \[0, 8\)"):
        widgets.Magnifier(phase, frame=8)
    with pytest.raises(TypeError, match="`attenuate` must be True or False"):
        widgets.Magnifier(phase, attenuate=1)
    with pytest.raises(ValueError, match="outside `alpha_range`"):
        widgets.magnifier(phase, alpha=100.0)


def test_magnifier_view_sliders_and_fallback(clip):
    video, _ = clip
    view = widgets.magnifier(magnify.PhaseMagnifier(video, 0.5, 2.0, 8.0, height=2),
                             magnify.LinearMagnifier(video, 0.5, 2.0, 8.0), static_frames=4)
    w = view.widget
    before = (w.phase_based.value, w.linear.value, w.original.value)
    view.set_alpha(30.0)
    assert w.phase_based.value != before[0] and w.linear.value != before[1] and w.original.value == before[2]
    w.frame.value = 1
    assert view.magnifier.state.frame == 1 and w.original.value != before[2]
    w.attenuate.value = True
    assert view.magnifier.state.attenuate
    assert view.fallback.data.count("<img") == 4 and widgets.FALLBACK_HEADING in view.fallback.data
    plain = widgets.magnifier(magnify.PhaseMagnifier(video, 0.5, 2.0, 8.0, height=2), static_frames=0)
    assert plain.fallback is None and plain.widget.linear is None


# ---------------------------------------------------------------------------
# slider_view and png_bytes
# ---------------------------------------------------------------------------


def test_slider_view_redraws_a_tensor_on_every_change():
    calls = []

    def render(level, invert, size):
        calls.append((level, invert, size))
        value = 1 - level if invert else level
        return torch.full((2, 1, size, size), value)  # a batch: two tiles side by side

    view = widgets.slider_view(render, level=(0.0, 1.0, 0.1, 0.2), invert=False, size=[8, 16], display_px=32)
    assert calls == [(0.2, False, 8)]
    assert type(view.sliders["level"]).__name__ == "FloatSlider"
    assert type(view.sliders["size"]).__name__ == "Dropdown"
    first = view.image.value
    assert _png_size(first) == (4 * (2 * 8 + 2), 32)  # two 8 px tiles, 2 px gap, ×4
    view.sliders["invert"].value = True
    assert calls[-1] == (0.2, True, 8) and view.image.value != first
    view.sliders["size"].value = 16
    assert _png_size(view.image.value) == (2 * (2 * 16 + 2), 32)
    assert view.values == {"level": 0.2, "invert": True, "size": 16}


def test_slider_view_figures_are_encoded_and_closed():
    import ipywidgets

    def render(freq):
        fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
        ax.plot(np.sin(freq * np.linspace(0, 6, 50)))
        ax.set(title=f"f = {freq}", xlabel="x (px)", ylabel="intensity")
        return fig

    slider = ipywidgets.IntSlider(value=1, min=1, max=5)
    view = widgets.slider_view(render, freq=slider, title="a sine")
    assert _png_size(view.image.value) == (100, 100) and plt.get_fignums() == []
    assert slider.description == "freq"
    first = view.image.value
    slider.value = 4
    assert view.image.value != first and plt.get_fignums() == []


def test_slider_view_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one slider"):
        widgets.slider_view(lambda: None)
    with pytest.raises(TypeError, match="`render` must be callable"):
        widgets.slider_view(3, a=(0, 1))
    with pytest.raises(TypeError, match="slider `a`"):
        widgets.slider_view(lambda a: torch.zeros(4, 4), a=0.5)
    with pytest.raises(ValueError, match="min < max"):
        widgets.slider_view(lambda a: torch.zeros(4, 4), a=(1.0, 0.0))
    with pytest.raises(TypeError, match="must return an image tensor"):
        widgets.slider_view(lambda a: "picture", a=(0, 3))


def test_png_bytes_round_trip_and_enlargement():
    x = torch.rand(3, 5, 7)
    with Image.open(io.BytesIO(widgets.png_bytes(x))) as im:
        array = np.asarray(im)
    assert array.shape == (5, 7, 3)
    expected = (x.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    assert np.array_equal(array, expected)
    assert _png_size(widgets.png_bytes(torch.rand(1, 5, 7), min_size=20)) == (28, 20)  # ×4
    with pytest.raises(ValueError, match="C×H×W"):
        widgets.png_bytes(torch.rand(2, 5, 7))
    with pytest.raises(TypeError, match="torch.Tensor or numpy array"):
        widgets.png_bytes([[0.0]])


def test_png_bytes_rejects_empty_and_nan_images_and_reads_uint8(device):
    assert widgets.png_bytes(torch.rand(3, 4, 4, device=device))[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="`image` is empty"):
        widgets.png_bytes(torch.zeros(1, 0, 5))
    with pytest.raises(ValueError, match="`image` is empty"):
        widgets.png_bytes(np.zeros((0, 0, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="`image` contains NaN"):
        widgets.png_bytes(torch.full((1, 4, 4), float("nan")))
    with pytest.raises(ValueError, match="`min_size` must be ≥ 0"):
        widgets.png_bytes(torch.rand(1, 4, 4), min_size=-1)
    pixels = torch.tensor([[[0, 128, 255]]], dtype=torch.uint8)
    with Image.open(io.BytesIO(widgets.png_bytes(pixels))) as im:
        assert np.asarray(im.convert("L"))[0].tolist() == [0, 128, 255]


def test_explorer_readout_restores_submodule_modes(model, grey_images):
    model.train()
    with pytest.warns(UserWarning, match="training mode"):
        ex = widgets.Explorer(model, grey_images, target=0)
    a = ex.set_alpha(1.0).probs.clone()
    b = ex.set_alpha(1.0).probs
    assert torch.equal(a, b) and model.training
    model.eval()


def test_magnifier_label_and_steps(clip):
    video, _ = clip
    view = widgets.magnifier(magnify.PhaseMagnifier(video, 0.5, 2.0, 8.0, height=2), alpha_range=(0.0, 80.0),
                             alpha=20.0, static_frames=0)
    s = view.alpha
    assert (s.max - s.min) / s.step <= 40 and view.attenuate.description == ""
    labels = [c for box in view.widget.children for c in getattr(box, "children", ())]
    assert any("attenuate large phases" in str(getattr(c, "value", "")) for c in labels)
    assert view.original.layout.height == "auto"
