"""Known answers for the morph measures: smooth-warp energy, confidence, judges, bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from steerlens import evaluate, signals
from steerlens.evaluate.warps import _upsample


def _image(b=3, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    # smooth random texture: blurred noise, rescaled to [0.1, 0.9]
    x = torch.rand(b, 1, size // 4, size // 4, generator=g)
    x = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False)
    x = x - x.amin(dim=(2, 3), keepdim=True)
    return 0.1 + 0.8 * x / x.amax(dim=(2, 3), keepdim=True)


def _smooth_warp(x, amplitude=1.0, seed=1):
    """A smooth warp made independently of the fitter's model (its bicubic control grid and
    bilinear sampler): the exact band-limited warp of ``signals.warp`` along a random smooth
    field (low spatial frequencies, vanishing at the border), of peak magnitude ``amplitude``."""
    out = []
    for b in range(x.shape[0]):
        field = signals.smooth_displacement_field(
            tuple(x.shape[-2:]), amplitude=amplitude, seed=seed + b, max_frequency=2
        )
        out.append(signals.warp(x[b].double(), field.double()).float())
    return torch.stack(out).clamp(0, 1)


def test_true_smooth_warp_is_explained(device):
    x0 = _image()
    x1 = _smooth_warp(x0, amplitude=1.5)
    e = evaluate.warp_energy(x0.to(device), x1.to(device))
    assert e.shape == (3,) and e.device.type == device.type
    assert bool((e >= 0.9).all()), e


def test_random_noise_edit_is_not_explained():
    x0 = _image()
    g = torch.Generator().manual_seed(2)
    x1 = (x0 + 0.05 * torch.randn(x0.shape, generator=g)).clamp(0, 1)
    e = evaluate.warp_energy(x0, x1)
    assert bool((e <= 0.2).all()), e


def test_contrast_change_needs_the_gain_field():
    # A dimming no warp can produce: every source value lies in [0.7, 0.8], every edited value
    # in [0.35, 0.4]. A warp only rearranges the source's own values; a smooth gain is exact.
    x0 = 0.7 + 0.1 * _image()
    x1 = 0.5 * x0
    e_warp = evaluate.warp_energy(x0, x1, gain=False)
    e_gain = evaluate.warp_energy(x0, x1, gain=True)
    assert bool((e_gain >= 0.95).all()), e_gain
    assert bool((e_warp <= 0.5).all()), e_warp


def test_values_lie_in_unit_interval_and_zero_edit_is_explained():
    x0 = _image(b=2)
    x1 = x0.clone()
    x1[1] = torch.rand_like(x1[1])
    e = evaluate.warp_energy(x0, x1, gain=True)
    assert e[0] == 1.0
    assert 0.0 <= float(e[1]) <= 1.0


def test_warp_energy_is_deterministic():
    x0 = _image(b=2)
    x1 = _smooth_warp(x0, amplitude=2.0)
    assert torch.equal(evaluate.warp_energy(x0, x1), evaluate.warp_energy(x0, x1))


def test_warp_energy_bad_inputs():
    x = _image(b=1)
    with pytest.raises(ValueError, match="same shape"):
        evaluate.warp_energy(x, x[..., :16, :16])
    with pytest.raises(ValueError, match="`x1` must hold values in"):
        evaluate.warp_energy(x, x + 2)
    with pytest.raises(ValueError, match="`grid` must be ≥ 2"):
        evaluate.warp_energy(x, x, grid=1)
    with pytest.raises(TypeError, match="`x0` must be a torch.Tensor"):
        evaluate.warp_energy(np.zeros((1, 1, 8, 8)), x)


def test_upsampling_matrix_equals_bicubic_interpolation():
    g = torch.Generator().manual_seed(5)
    field = torch.randn(3, 2, 8, 8, generator=g)
    for size in [(28, 28), (32, 48)]:
        ref = F.interpolate(field, size=size, mode="bicubic", align_corners=True)
        torch.testing.assert_close(_upsample(field, size), ref, rtol=0, atol=1e-5)


def test_gain_fit_is_never_worse_than_the_warp_it_starts_from():
    # a warp plus a little noise: both models fit, and the gain model contains the warp-only one
    x0 = _image(b=4, seed=3)
    g = torch.Generator().manual_seed(4)
    x1 = (
        _smooth_warp(x0, amplitude=2.0, seed=5) + 0.03 * torch.randn(x0.shape, generator=g)
    ).clamp(0, 1)
    fit = evaluate.fit_smooth_warp(x0, x1, iterations=20)
    fit_gain = evaluate.fit_smooth_warp(x0, x1, gain=True, iterations=20, init=fit)
    assert bool((fit_gain.energy >= fit.energy - 1e-6).all()), (fit.energy, fit_gain.energy)
    assert fit_gain.control_log_gain is not None and fit.control_log_gain is None
    e_w = evaluate.warp_energy(x0, x1, iterations=20)
    e_g = evaluate.warp_energy(x0, x1, gain=True, iterations=20)
    assert bool((e_g >= e_w - 1e-6).all())
    with pytest.raises(ValueError, match="same images, same `grid`"):
        evaluate.fit_smooth_warp(x0, x1, grid=4, gain=True, init=fit)
    with pytest.raises(TypeError, match="`init` must be a SmoothWarpFit"):
        evaluate.fit_smooth_warp(x0, x1, gain=True, init="warp")


def test_bounded_warp_cannot_fetch_distant_ink():
    # A black image with one square; the edit adds a 4 px wide bar of new ink 5 px to its right.
    # An unbounded smooth warp explains it by stretching the square's ink over the gap (folding
    # the source); a warp bounded to 2 px cannot reach that far.
    x0 = torch.zeros(1, 1, 32, 32)
    x0[..., 14:20, 14:20] = 1.0
    x1 = x0.clone()
    x1[..., 14:20, 25:29] = 1.0
    unbounded = evaluate.fit_smooth_warp(x0, x1, iterations=50)
    bounded = evaluate.fit_smooth_warp(x0, x1, max_displacement=2.0, iterations=50)
    assert float(unbounded.energy) > 0.9
    assert float(bounded.energy) < 0.05
    assert float(bounded.displacement.abs().max()) <= 2.0  # every pixel, every component
    with pytest.raises(ValueError, match="`max_displacement` must be finite and > 0"):
        evaluate.fit_smooth_warp(x0, x1, max_displacement=0.0)


def _linear_model(classes=3, pixels=4, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(pixels, classes))


def test_target_probability_matches_softmax():
    m = _linear_model()
    x = torch.rand(6, 1, 2, 2)
    t = torch.tensor([0, 1, 2, 0, 1, 2])
    p = evaluate.target_probability(m, x, t, batch_size=4)
    ref = torch.softmax(m(x), 1)[torch.arange(6), t]
    torch.testing.assert_close(p, ref)
    with pytest.raises(ValueError, match="`target` holds class 3, outside the model's 3"):
        evaluate.target_probability(m, x, 3)
    with pytest.raises(ValueError, match="one class per image"):
        evaluate.target_probability(m, x, torch.tensor([0, 1]))


def test_judge_agreement_all_is_the_conjunction():
    a, b = _linear_model(seed=0), _linear_model(seed=1)
    x = torch.rand(50, 1, 2, 2)
    out = evaluate.judge_agreement([a, b], x, 1)
    assert torch.equal(out["all"], out["judge1"] & out["judge2"])
    assert torch.equal(out["judge1"], a(x).argmax(1) == 1)
    with pytest.raises(ValueError, match="`judges` is empty"):
        evaluate.judge_agreement({}, x, 1)


def test_bootstrap_interval_contains_the_median_and_is_deterministic():
    rng = np.random.default_rng(0)
    vals = rng.lognormal(size=100)
    est, lo, hi = evaluate.bootstrap_ci(vals)
    assert est == pytest.approx(np.median(vals))
    assert lo <= est <= hi and lo < hi
    assert evaluate.bootstrap_ci(vals) == (est, lo, hi)
    assert evaluate.bootstrap_ci(vals, seed=1) != (est, lo, hi)


def test_paired_bootstrap_uses_the_same_draws_for_every_method():
    rng = np.random.default_rng(0)
    a = rng.normal(size=40)
    out = evaluate.paired_bootstrap({"a": a, "a_plus_1": a + 1.0}, statistic="mean")
    # identical draws: the shifted method's interval is the original shifted by exactly 1
    assert out["a_plus_1"][1] == pytest.approx(out["a"][1] + 1.0)
    assert out["a_plus_1"][2] == pytest.approx(out["a"][2] + 1.0)


def test_paired_bootstrap_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        evaluate.paired_bootstrap({"a": [1, 2], "b": [1, 2, 3]})
    with pytest.raises(ValueError, match="`statistic` must be"):
        evaluate.paired_bootstrap({"a": [1, 2]}, statistic="mode")
    with pytest.raises(ValueError, match="`level` must be in"):
        evaluate.paired_bootstrap({"a": [1, 2]}, level=1.5)


# ---------------------------------------------------------------------------
# the matched-budget comparison runner
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_setup():
    from steerlens import data, models

    test = data.mnist_digits("test")
    idx = evaluate.stratified_indices(test.labels, 4, seed=0)
    driver = models.pretrained("mnist_cnn")
    judges = {
        "mlp": models.pretrained("mnist_judge_mlp"),
        "resnet": models.pretrained("mnist_judge_resnet"),
    }
    return test.images[idx], test.labels[idx], driver, judges


def _run(mnist_setup, **kwargs):
    x, labels, driver, judges = mnist_setup
    targets = evaluate.pick_targets(driver, x)
    options = dict(
        budgets=(1.0, 2.0),
        methods=("pixel", "csp_phase"),
        warp_iterations=5,
        batch_size=3,
        n_boot=200,
        progress=False,
    )
    options.update(kwargs)
    return evaluate.compare_edits(driver, judges, x, targets, **options)


def test_runner_reaches_the_budget_and_is_deterministic(mnist_setup):
    a = _run(mnist_setup)
    b = _run(mnist_setup)
    assert a.table() == b.table()
    for key, measures in a.measures.items():
        budget = key[1]
        assert measures["attained"].all(), key
        # within 1 % of the budget (the edit stops in [budget, budget·(1 + 1e-4)])
        np.testing.assert_allclose(measures["distance"], budget, rtol=0.01)
        np.testing.assert_array_equal(measures["e_warp"], b.measures[key]["e_warp"])
        torch.testing.assert_close(a.edited[key], b.edited[key], rtol=0, atol=0)
        dist = (a.edited[key] - a.sources).flatten(1).norm(dim=1)
        torch.testing.assert_close(
            dist.double(), torch.full((4,), budget, dtype=torch.float64), rtol=0.01, atol=0
        )


def test_runner_measures_agree_with_the_measure_functions(mnist_setup):
    x, labels, driver, judges = mnist_setup
    out = _run(mnist_setup, budgets=(2.0,), methods=("pixel",), batch_size=4)
    edited = out.edited[("pixel", 2.0)]
    targets = out.targets
    np.testing.assert_allclose(
        out.values("driver_prob", "pixel", 2.0),
        evaluate.target_probability(driver, edited, targets).double().numpy(),
        rtol=1e-5,
    )
    agree = evaluate.judge_agreement(judges, edited, targets)
    np.testing.assert_array_equal(
        out.values("judges_all", "pixel", 2.0), agree["all"].double().numpy()
    )
    np.testing.assert_array_equal(
        out.values("judge:mlp", "pixel", 2.0), agree["mlp"].double().numpy()
    )
    e = evaluate.warp_energy(x, edited, iterations=5)
    np.testing.assert_allclose(out.values("e_warp", "pixel", 2.0), e.double().numpy(), rtol=1e-6)
    assert out.values("e_warp_gain", "pixel", 2.0).min() >= 0.0


def test_runner_batches_are_fixed_blocks(mnist_setup):
    # the first sources give the same values whether or not more sources follow
    x, labels, driver, judges = mnist_setup
    targets = evaluate.pick_targets(driver, x)
    opts = dict(
        budgets=(1.0,),
        methods=("fourier_phase",),
        warp_iterations=5,
        batch_size=2,
        n_boot=50,
        progress=False,
    )
    full = evaluate.compare_edits(driver, judges, x, targets, **opts)
    head = evaluate.compare_edits(driver, judges, x[:2], targets[:2], **opts)
    for m in ("driver_prob", "e_warp", "e_warp_gain", "distance"):
        np.testing.assert_allclose(
            full.values(m, "fourier_phase", 1.0)[:2],
            head.values(m, "fourier_phase", 1.0),
            rtol=1e-6,
        )


def test_table_markdown_and_csv(mnist_setup, tmp_path):
    out = _run(mnist_setup, budgets=(1.0,))
    rows = out.table()
    assert [(r["budget"], r["method"]) for r in rows] == [(1.0, "pixel"), (1.0, "csp_phase")]
    for r in rows:
        assert r["driver_prob_low"] <= r["driver_prob"] <= r["driver_prob_high"]
        assert r["e_warp_low"] <= r["e_warp"] <= r["e_warp_high"]
        assert 0 <= r["judges_all"] <= min(r["judge:mlp"], r["judge:resnet"]) <= 4
        assert r["attained"] == 4 and r["regime"] == "persistent"
        assert r["e_warp"] == pytest.approx(
            float(np.median(out.values("e_warp", r["method"], 1.0)))
        )
    md = out.to_markdown()
    assert md.count("\n| 1 |") == 2 and "CSP phase" in md and "both judges" in md
    path = out.to_csv(tmp_path / "sub" / "table.csv")
    import csv

    with path.open() as fh:
        back = list(csv.DictReader(fh))
    assert [r["method"] for r in back] == ["pixel", "csp_phase"]
    assert float(back[1]["e_warp_gain"]) == pytest.approx(rows[1]["e_warp_gain"])
    lo, hi = out.difference("e_warp", "csp_phase", "pixel", 1.0)[1:]
    assert lo <= hi


def test_runner_bad_inputs(mnist_setup):
    x, labels, driver, judges = mnist_setup
    with pytest.raises(ValueError, match="unknown method 'wavelet'"):
        evaluate.compare_edits(driver, judges, x, 1, methods=["wavelet"], progress=False)
    with pytest.raises(ValueError, match="`judges` is empty"):
        evaluate.compare_edits(driver, {}, x, 1, progress=False)
    with pytest.raises(ValueError, match="`regime` must be one of"):
        evaluate.compare_edits(driver, judges, x, 1, regime="adam", progress=False)
    with pytest.raises(ValueError, match="`budgets` must be finite and > 0"):
        evaluate.compare_edits(driver, judges, x, 1, budgets=[0.0], progress=False)
    with pytest.raises(ValueError, match="one class per image"):
        evaluate.compare_edits(driver, judges, x, torch.tensor([1, 2]), progress=False)


def test_pick_targets_rules():
    model = _linear_model(classes=4, pixels=4)
    x = torch.rand(20, 1, 2, 2)
    logits = model(x)
    second = evaluate.pick_targets(model, x)
    assert torch.equal(second, logits.argsort(1, descending=True)[:, 1])
    labels = torch.arange(20) % 4
    assert torch.equal(
        evaluate.pick_targets(model, x, "next_class", labels=labels), (labels + 1) % 4
    )
    with pytest.raises(ValueError, match="needs `labels`"):
        evaluate.pick_targets(model, x, "next_class")
    with pytest.raises(ValueError, match="`rule` must be one of"):
        evaluate.pick_targets(model, x, "random")


def test_stratified_indices_are_balanced_nested_and_seeded():
    labels = torch.arange(1000) // 100  # sorted by class, like the MNIST test split
    idx = evaluate.stratified_indices(labels, 300)
    assert torch.bincount(labels[idx]).tolist() == [30] * 10
    assert len(set(idx.tolist())) == 300
    assert torch.equal(evaluate.stratified_indices(labels, 100), idx[:100])
    assert not torch.equal(evaluate.stratified_indices(labels, 100, seed=1), idx[:100])
    with pytest.raises(ValueError, match="more than the 1000"):
        evaluate.stratified_indices(labels, 1001)


def test_paired_difference_uses_the_bootstrap_draws():
    rng = np.random.default_rng(3)
    a = rng.normal(size=60)
    est, lo, hi = evaluate.paired_difference(a + 0.5, a, statistic="mean")
    # every draw pairs a source with itself: the difference is exactly 0.5 in each
    assert (est, lo, hi) == pytest.approx((0.5, 0.5, 0.5))
    # and the draws are those of paired_bootstrap with the same seed: for the mean,
    # mean(a[idx]) − mean(b[idx]) = mean((a − b)[idx]) on every draw, so the difference's
    # interval is the bootstrap interval of a − b only when both use the same draws
    b = rng.normal(size=60)
    boot = evaluate.paired_bootstrap({"d": a - b}, statistic="mean", n_boot=500, seed=4)["d"]
    d = evaluate.paired_difference(a, b, statistic="mean", n_boot=500, seed=4)
    assert d == pytest.approx(boot, rel=1e-12, abs=1e-12)
    other = evaluate.paired_difference(a, b, statistic="mean", n_boot=500, seed=5)
    assert other[1:] != pytest.approx(d[1:], rel=1e-9)
    with pytest.raises(ValueError, match="same length"):
        evaluate.paired_difference([1.0, 2.0], [1.0])


# ---------------------------------------------------------------------------
# the read-outs share the lens's safeguards
# ---------------------------------------------------------------------------


class _BatchNormNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.flat = torch.nn.Flatten()
        self.bn = torch.nn.BatchNorm1d(4)
        self.head = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.head(self.bn(self.flat(x)))


def test_readouts_run_in_eval_mode_and_restore_every_submodule(device):
    m = _BatchNormNet().to(device)
    m.train()
    m.head.eval()  # a submodule in its own mode: must be restored as it was
    stats = m.bn.running_mean.clone()
    x = torch.rand(6, 1, 2, 2, device=device)
    p1 = evaluate.target_probability(m, x, 1)
    p2 = evaluate.target_probability(m, x, 1)
    assert torch.equal(p1, p2)  # eval mode: batch statistics do not leak in
    assert torch.equal(m.bn.running_mean, stats)  # and are not updated
    assert m.training and m.bn.training and not m.head.training
    with torch.no_grad():
        m.eval()
        ref = torch.softmax(m(x), 1)[:, 1]
        m.train()
        m.head.eval()
    torch.testing.assert_close(p1, ref)
    a1 = evaluate.judge_agreement({"bn": m}, x, [0, 1, 2, 0, 1, 2])
    a2 = evaluate.judge_agreement({"bn": m}, x, [0, 1, 2, 0, 1, 2])
    assert torch.equal(a1["bn"], a2["bn"]) and m.training and not m.head.training


def test_readouts_take_dict_outputs_and_reject_bad_logits():
    lin = _linear_model()
    x = torch.rand(4, 1, 2, 2)
    p = evaluate.target_probability(lambda v: {"logits": lin(v)}, x, 2)
    torch.testing.assert_close(p, evaluate.target_probability(lin, x, 2))
    with pytest.raises(TypeError, match="`model` returned a mapping without a 'logits'"):
        evaluate.target_probability(lambda v: {"scores": lin(v)}, x, 0)
    with pytest.raises(ValueError, match="`model` returned one value per image"):
        evaluate.target_probability(lambda v: lin(v)[:, 0], x, 0)
    with pytest.raises(ValueError, match="`model` returned NaN or infinite logits"):
        evaluate.target_probability(lambda v: lin(v) * float("nan"), x, 0)
    with pytest.raises(ValueError, match=r"`judges\['a'\]` returned NaN or infinite"):
        evaluate.judge_agreement({"a": lambda v: lin(v) / 0.0 * 0.0}, x, 0)
    with pytest.raises(TypeError, match="`model` must be callable"):
        evaluate.target_probability("mnist_cnn", x, 0)


def test_readout_targets_lists_floats_and_range():
    lin = _linear_model()
    x = torch.rand(3, 1, 2, 2)
    torch.testing.assert_close(
        evaluate.target_probability(lin, x, [0, 1, 2]),
        evaluate.target_probability(lin, x, torch.tensor([0, 1, 2])),
    )
    with pytest.raises(TypeError, match="`target` must hold integer class indices"):
        evaluate.target_probability(lin, x, torch.tensor([0.0, 1.7, 2.0]))
    with pytest.raises(TypeError, match="`target` must hold integer class indices"):
        evaluate.judge_agreement([lin], x, [0.5, 1.0, 2.0])
    with pytest.raises(TypeError, match="`target` must be a class index"):
        evaluate.target_probability(lin, x, True)
    with pytest.raises(ValueError, match="`target` holds class 3, outside"):
        evaluate.judge_agreement([lin], x, 3)  # no silent False
    with pytest.raises(ValueError, match="`target` holds class -1"):
        evaluate.judge_agreement([lin], x, [0, -1, 0])
    with pytest.raises(TypeError, match="`batch_size` must be an int"):
        evaluate.target_probability(lin, x, 0, batch_size=2.5)


def test_paired_bootstrap_rejects_nan_and_bad_options():
    with pytest.raises(ValueError, match=r"`values\['a'\]` contains NaN"):
        evaluate.paired_bootstrap({"a": [1.0, float("nan"), 2.0]})
    with pytest.raises(ValueError, match="`a` contains NaN or infinite"):
        evaluate.paired_difference([1.0, float("inf")], [1.0, 2.0])
    with pytest.raises(TypeError, match="`seed` must be an int"):
        evaluate.paired_bootstrap({"a": [1.0, 2.0]}, seed=0.5)
    with pytest.raises(ValueError, match="`seed` must be ≥ 0"):
        evaluate.bootstrap_ci([1.0, 2.0], seed=-1)
    with pytest.raises(TypeError, match="`level` must be a number"):
        evaluate.paired_bootstrap({"a": [1.0, 2.0]}, level="95%")
    with pytest.raises(ValueError, match="`level` must be in"):
        evaluate.paired_bootstrap({"a": [1.0, 2.0]}, level=float("nan"))
    with pytest.raises(TypeError, match="`n_boot` must be an int"):
        evaluate.paired_bootstrap({"a": [1.0, 2.0]}, n_boot=10.0)
    with pytest.raises(TypeError, match=r"`values\['a'\]` must hold numbers"):
        evaluate.paired_bootstrap({"a": ["x", "y"]})
    with pytest.raises(ValueError, match="`statistic` must reduce the last axis"):
        evaluate.paired_bootstrap({"a": [1.0, 2.0]}, statistic=lambda a: a)


@pytest.mark.parametrize("statistic", ["mean", "median"])
def test_bootstrap_interval_matches_scipy(statistic):
    # an independent implementation: scipy's percentile bootstrap on the same sample
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(11)
    sample = rng.gamma(2.0, size=80)
    est, lo, hi = evaluate.bootstrap_ci(sample, statistic, n_boot=20000, level=0.9, seed=1)
    fn = np.mean if statistic == "mean" else np.median
    ref = scipy_stats.bootstrap(
        (sample,), fn, n_resamples=20000, confidence_level=0.9, method="percentile",
        random_state=np.random.default_rng(2), vectorized=False,
    ).confidence_interval
    width = ref.high - ref.low
    assert est == pytest.approx(fn(sample))
    # two independent Monte Carlo estimates of the same quantiles: agree to a few % of the width
    assert lo == pytest.approx(ref.low, abs=0.05 * width)
    assert hi == pytest.approx(ref.high, abs=0.05 * width)


def test_half_precision_images_are_read_and_fitted_in_float32():
    lin = _linear_model()
    x = torch.rand(3, 1, 2, 2)
    p32 = evaluate.target_probability(lin, x, 1)
    p16 = evaluate.target_probability(lin, x.half(), 1)
    torch.testing.assert_close(p16, p32, atol=2e-3, rtol=0)
    x0 = _image(b=1, size=16)
    x1 = _smooth_warp(x0, amplitude=1.0)
    e16 = evaluate.warp_energy(x0.half(), x1.half(), iterations=20)
    e32 = evaluate.warp_energy(x0.half().float(), x1.half().float(), iterations=20)
    assert e16.dtype == torch.float16
    torch.testing.assert_close(e16.float(), e32, atol=2e-3, rtol=0)


def test_join_equals_one_run_of_every_method_and_budget(mnist_setup):
    whole = _run(mnist_setup)
    parts = [
        _run(mnist_setup, methods=(m,), budgets=(b,))
        for m in ("pixel", "csp_phase")
        for b in (2.0, 1.0)
    ]
    joined = evaluate.EditComparison.join(parts)
    assert joined.methods == whole.methods and joined.budgets == whole.budgets
    assert joined.table() == whole.table()
    assert joined.seconds == pytest.approx(sum(p.seconds for p in parts))
    with pytest.raises(ValueError, match="repeats the"):
        evaluate.EditComparison.join([parts[0], parts[0]])
    x, labels, driver, judges = mnist_setup
    other = evaluate.compare_edits(
        driver,
        judges,
        x[:2],
        evaluate.pick_targets(driver, x[:2]),
        budgets=(1.0,),
        methods=("fourier_phase",),
        warp_iterations=5,
        n_boot=200,
        progress=False,
    )
    with pytest.raises(ValueError, match="same sources"):
        evaluate.EditComparison.join([parts[0], other])
    with pytest.raises(TypeError, match="non-empty sequence"):
        evaluate.EditComparison.join([])
