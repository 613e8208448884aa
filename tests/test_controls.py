"""Tests of the randomization controls: randomize_model, cascading_randomization, the
label-shuffled zoo control (Adebayo et al., 2018)."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from steerlens.models import (
    SmallResNet,
    cascading_randomization,
    evaluate_accuracy,
    model_info,
    parameterized_layers,
    pretrained,
    randomize_model,
    shuffled_labels,
    zoo_dataset,
    zoo_names,
)

CNN_LAYERS = ["features.0", "features.3", "features.6", "classifier.1", "classifier.3"]


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _changed_layers(a: nn.Module, b: nn.Module) -> list[str]:
    """Layers (owning parameters) of ``a`` and ``b`` whose parameters differ."""
    mods_b = dict(b.named_modules())
    changed = []
    for name in parameterized_layers(a):
        pa = dict(dict(a.named_modules())[name].named_parameters(recurse=False))
        pb = dict(mods_b[name].named_parameters(recurse=False))
        if any(not torch.equal(pa[k].cpu(), pb[k].cpu()) for k in pa):
            changed.append(name)
    return changed


@pytest.fixture
def trained(device):
    return pretrained("mnist_cnn").to(device)


def test_layers_are_listed_input_to_output(trained):
    assert parameterized_layers(trained) == CNN_LAYERS


def test_randomize_all_changes_every_layer_and_leaves_the_original(trained):
    before = _state(trained)
    grad_flags = [p.requires_grad for p in trained.parameters()]
    random = randomize_model(trained, seed=0)
    assert random is not trained
    assert _changed_layers(trained, random) == CNN_LAYERS
    # every parameter tensor differs almost everywhere, not in a few entries
    for p, q in zip(trained.parameters(), random.parameters(), strict=True):
        assert (p != q).float().mean() > 0.95
        assert q.device == p.device and q.dtype == p.dtype
    after = _state(trained)
    assert all(torch.equal(before[k], after[k]) for k in before)  # original untouched
    assert not random.training and not trained.training
    assert [p.requires_grad for p in random.parameters()] == grad_flags


def test_randomized_weights_follow_pytorch_default_scale(trained):
    random = randomize_model(trained, seed=0)
    w = random.classifier[1].weight  # Linear(576 → 64): U(±1/√576)
    bound = 1 / math.sqrt(w.shape[1])
    assert float(w.abs().max()) <= bound + 1e-6
    assert float(w.std()) == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_cascade_stage_k_reinitialises_exactly_the_top_k_layers(trained):
    stages = list(cascading_randomization(trained, seed=3))
    assert [name for name, _ in stages] == CNN_LAYERS[::-1]
    everything = randomize_model(trained, seed=3)
    for k, (_, model) in enumerate(stages, start=1):
        assert _changed_layers(trained, model) == CNN_LAYERS[len(CNN_LAYERS) - k :]
        same = randomize_model(trained, mode="cascade", depth=k, seed=3)
        assert _changed_layers(model, same) == []
        # nested: the layers a stage re-initialises carry the "all" control's values
        assert set(_changed_layers(model, everything)) == set(CNN_LAYERS[: len(CNN_LAYERS) - k])
    assert stages[0][1] is not stages[1][1]


def test_same_seed_same_weights_other_seed_other_weights(trained):
    a = randomize_model(trained, seed=7)
    b = randomize_model(trained, seed=7)
    c = randomize_model(trained, seed=8)
    assert _changed_layers(a, b) == []
    assert _changed_layers(a, c) == CNN_LAYERS


def test_global_random_state_is_untouched(trained):
    state = torch.get_rng_state()
    randomize_model(trained, seed=1)
    assert torch.equal(state, torch.get_rng_state())


def test_weights_do_not_depend_on_the_device(trained, device):
    on_device = randomize_model(trained, seed=2)
    on_cpu = randomize_model(copy.deepcopy(trained).cpu(), seed=2)
    for p, q in zip(on_device.parameters(), on_cpu.parameters(), strict=True):
        assert p.device.type == device.type
        assert torch.equal(p.cpu(), q)


def test_train_and_eval_modes_of_every_submodule_are_kept(device):
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(), nn.Linear(4, 2)).to(device)
    model.train()
    model[1].eval()
    random = randomize_model(model)
    assert [m.training for m in random.modules()] == [m.training for m in model.modules()]


def test_batch_norm_running_statistics_are_reset(device):
    model = SmallResNet(in_channels=1, num_classes=3, widths=[4, 8], blocks=1).to(device)
    bn = model.stem[1]
    with torch.no_grad():
        bn.running_mean.fill_(0.5)
        bn.weight.fill_(2.0)
    random = randomize_model(model, mode="cascade", depth=len(parameterized_layers(model)))
    assert torch.equal(random.stem[1].running_mean, torch.zeros_like(bn.running_mean))
    assert torch.equal(random.stem[1].weight, torch.ones_like(bn.weight))
    assert float(bn.running_mean[0]) == 0.5  # the original keeps its statistics


class _Scale(nn.Module):
    """A layer without reset_parameters: the documented fallback re-initialises it."""

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.full((16,), 5.0))
        self.mix = nn.Parameter(torch.full((8, 4), 5.0))

    def forward(self, x):
        return x * self.gain.sum() + self.mix.sum()


def test_fallback_reinitialisation_without_reset_parameters(device):
    model = nn.Sequential(_Scale(), nn.Linear(2, 2)).to(device)
    random = randomize_model(model, seed=0)
    gain, mix = random[0].gain.detach(), random[0].mix.detach()
    assert float(gain.abs().max()) <= 1 / math.sqrt(16) + 1e-6  # U(±1/√n)
    assert float(mix.abs().max()) <= 1 / math.sqrt(4) + 1e-6  # U(±1/√fan_in)
    assert float(gain.std()) > 0.05 and float(mix.std()) > 0.1
    again = randomize_model(model, seed=0)
    assert torch.equal(gain, again[0].gain) and torch.equal(mix, again[0].mix)


def test_layers_argument_restricts_and_orders(trained):
    top = randomize_model(trained, mode="cascade", depth=1, layers=["classifier.3", "features.0"])
    assert _changed_layers(trained, top) == ["features.0"]  # the last name is the "top"
    some = randomize_model(trained, layers=["features.3"])
    assert _changed_layers(trained, some) == ["features.3"]


def test_errors_name_the_argument_and_the_fix(trained):
    with pytest.raises(TypeError, match="`model` must be a torch.nn.Module"):
        randomize_model(lambda x: x)
    with pytest.raises(ValueError, match="`mode` must be one of 'all', 'cascade'"):
        randomize_model(trained, mode="top")
    with pytest.raises(ValueError, match="`depth`=2 only applies to mode='cascade'"):
        randomize_model(trained, depth=2)
    with pytest.raises(ValueError, match="mode='cascade' needs `depth`"):
        randomize_model(trained, mode="cascade")
    with pytest.raises(ValueError, match=r"`depth`=6 exceeds the 5 parameterised layers"):
        randomize_model(trained, mode="cascade", depth=6)
    with pytest.raises(ValueError, match="`depth` must be ≥ 1"):
        randomize_model(trained, mode="cascade", depth=0)
    with pytest.raises(TypeError, match="`depth` must be an int"):
        randomize_model(trained, mode="cascade", depth=1.0)
    with pytest.raises(TypeError, match="`seed` must be an int"):
        randomize_model(trained, seed="0")
    with pytest.raises(ValueError, match="`seed` must be ≥ 0"):
        cascading_randomization(trained, seed=-1)
    with pytest.raises(ValueError, match="no parameters to re-initialise"):
        randomize_model(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="'features.1'.*not parameterised layers"):
        randomize_model(trained, layers=["features.1"])
    with pytest.raises(TypeError, match="`layers` must be a sequence of layer names"):
        randomize_model(trained, layers="features.0")
    with pytest.raises(ValueError, match="`layers` is empty"):
        list(cascading_randomization(trained, layers=[]))
    with pytest.raises(ValueError, match="names a layer twice"):
        randomize_model(trained, layers=["features.0", "features.0"])
    with pytest.raises(TypeError, match="`model` must be a torch.nn.Module"):
        cascading_randomization("mnist_cnn")


def test_a_randomized_driver_is_at_chance():
    test = zoo_dataset("mnist_cnn", "test")
    random = randomize_model(pretrained("mnist_cnn"), seed=0)
    assert evaluate_accuracy(random, (test.images, test.labels)) < 0.25


# --------------------------------------------------------------------------- data randomization


def test_shuffled_labels_permute_and_keep_frequencies():
    labels = torch.arange(10).repeat(30)
    original = labels.clone()
    shuffled = shuffled_labels(labels, 0)
    assert torch.equal(labels, original)  # input not mutated
    assert torch.equal(shuffled.sort().values, labels.sort().values)
    assert (shuffled == labels).float().mean() < 0.3  # mostly moved
    assert torch.equal(shuffled, shuffled_labels(labels, 0))
    assert not torch.equal(shuffled, shuffled_labels(labels, 1))
    with pytest.raises(TypeError, match="`labels` must be a 1-D integer tensor"):
        shuffled_labels(labels.float(), 0)
    with pytest.raises(ValueError, match="`seed` must be ≥ 0"):
        shuffled_labels(labels, -1)


def test_label_shuffled_control_is_at_chance_but_memorised_its_labels():
    assert zoo_names(role="control") == ["mnist_cnn_shuffled"]
    assert "mnist_cnn_shuffled" not in zoo_names(role="driver")
    info, driver = model_info("mnist_cnn_shuffled"), model_info("mnist_cnn")
    assert info.role == "control"
    assert (info.architecture, info.config) == (driver.architecture, driver.config)
    assert info.training["seed"] == driver.training["seed"]
    assert info.training["shuffle_labels"] == 0
    test = zoo_dataset("mnist_cnn_shuffled", "test")
    accuracy = evaluate_accuracy(pretrained("mnist_cnn_shuffled"), (test.images, test.labels))
    assert accuracy == pytest.approx(info.test_accuracy, abs=0.002)
    assert abs(accuracy - 0.1) < 0.05, "a label-shuffled control must be at chance (10 %)"
    assert info.extra["shuffled_train_accuracy"] > 0.9, "the control memorised its labels"
    assert info.bytes < 300 * 1024
