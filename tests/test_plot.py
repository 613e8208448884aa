"""Tests for steerlens.plot and the result objects' show/animate/save_gif."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import steerlens as sl  # noqa: E402
from steerlens import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _parse(snippet: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(snippet)
    return parser.tags


def _gif(path) -> tuple[int, tuple[int, int]]:
    with Image.open(path) as gif:
        return gif.n_frames, gif.size


def test_to_image_shapes_and_clipping():
    assert plot.to_image(torch.rand(3, 5, 7)).shape == (5, 7, 3)
    assert plot.to_image(torch.rand(1, 5, 7)).shape == (5, 7)
    assert plot.to_image(torch.rand(5, 7)).shape == (5, 7)
    out = plot.to_image(torch.tensor([[-1.0, 2.0]]))
    assert out.min() == 0 and out.max() == 1
    with pytest.raises(ValueError, match="C×H×W"):
        plot.to_image(torch.rand(2, 5, 7))
    with pytest.raises(TypeError, match="`image` must be a torch.Tensor or numpy array"):
        plot.to_image([[0.0, 1.0]])
    assert plot.to_image(np.full((5, 7, 3), 0.25)).shape == (5, 7, 3)  # H×W×C arrays pass


def test_to_image_takes_tensors_from_the_suite_device(device):
    x = torch.rand(3, 4, 5, device=device)
    np.testing.assert_allclose(plot.to_image(x), x.permute(1, 2, 0).cpu().numpy())


def test_to_image_reads_uint8_and_rejects_nan():
    x = torch.tensor([[[0, 51, 255]]], dtype=torch.uint8)
    np.testing.assert_allclose(plot.to_image(x), [[0.0, 0.2, 1.0]], atol=1e-6)  # not all ones
    np.testing.assert_allclose(plot.to_image(x.numpy()[0]), [[0.0, 0.2, 1.0]], atol=1e-6)
    with pytest.raises(ValueError, match="`image` contains NaN"):
        plot.to_image(torch.tensor([[0.5, float("nan")]]))
    with pytest.raises(ValueError, match="`image` is empty"):
        plot.to_image(torch.zeros(3, 0, 4))
    with pytest.raises(TypeError, match="`image` holds integers"):
        plot.to_image(torch.tensor([[0, 1]]))


def test_morph_strip_layout_and_labels():
    frames = torch.rand(2, 3, 3, 8, 8)
    probs = torch.tensor([[0.1, 0.5, 0.9], [0.2, 0.3, 0.4]])
    fig = plot.morph_strip(frames, probs, [0.0, 1.0, 2.0], target_names=["cat", "dog"], title="t")
    assert len(fig.axes) == 6
    assert fig.axes[0].get_title() == "α = 0"
    assert fig.axes[2].get_xlabel() == "p(cat) = 0.90"
    assert fig.axes[5].get_xlabel() == "p(dog) = 0.40"
    assert fig._suptitle.get_text() == "t"
    with pytest.raises(ValueError, match="`alphas` has 2 values for 3 frames"):
        plot.morph_strip(frames, probs, [0.0, 1.0])
    with pytest.raises(ValueError, match="K×C×H×W or B×K×C×H×W"):
        plot.morph_strip(torch.rand(3, 8, 8))


@pytest.mark.parametrize("part", ["amplitude", "phase", "real", "signed"])
def test_show_bands(part):
    csp = sl.CSP((32, 32), height=2)
    c = csp.analyze(torch.rand(1, 1, 32, 32))
    fig = plot.show_bands(c.bands, part)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 8
    if part == "phase":
        lo, hi = images[0].images[0].get_clim()
        assert (lo, hi) == pytest.approx((-np.pi, np.pi))
    if part == "signed":
        lo, hi = images[0].images[0].get_clim()
        assert lo == pytest.approx(-hi)


def test_show_bands_rejects_bad_input():
    with pytest.raises(ValueError, match="`part` must be one of"):
        plot.show_bands([torch.zeros(1, 1, 4, 8, 8)], "hue")
    with pytest.raises(ValueError, match="B×C×K×h×w"):
        plot.show_bands([torch.zeros(8, 8)])


def test_scrubber_is_static_html_with_every_frame_embedded():
    frames = torch.rand(4, 1, 8, 8)
    labels = ["α = 0 <start>", "α = 1", "α = 2", "α = 3"]
    widget = plot.scrubber(frames, labels, title="A & B", start=0)
    tags = _parse(widget.data)
    images = [a for t, a in tags if t == "img"]
    assert len(images) == 4
    assert "display:none" not in images[0]["style"] and all("display:none" in a["style"] for a in images[1:])
    # every frame is embedded losslessly: decode the PNGs back
    for a, frame in zip(images, frames, strict=True):
        png = base64.b64decode(a["src"].split(",", 1)[1])
        with Image.open(io.BytesIO(png)) as picture:
            decoded = np.asarray(picture.convert("L"), dtype=np.float32)
        assert np.abs(decoded - (frame[0].numpy() * 255 + 0.5).astype(np.uint8)).max() == 0
    root = tags[0][1]
    assert json.loads(root["data-labels"]) == labels
    slider = [a for t, a in tags if t == "input"][0]
    assert slider["type"] == "range" and slider["max"] == "3" and "oninput" in slider
    assert [a for t, a in tags if t == "button"][0]["onclick"].count(root["id"]) == 1
    assert "<script" not in widget.data  # works where scripts are stripped, needs no kernel
    assert "&lt;start&gt;" in widget.data and "A &amp; B" in widget.data
    other = plot.scrubber(frames)
    assert _parse(other.data)[0][1]["id"] != root["id"]  # several scrubbers on one page


def test_scrubber_tiles_a_batch_and_checks_labels():
    widget = plot.scrubber(torch.rand(2, 3, 3, 8, 8), width=300)
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', widget.data).group(1))
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.size == (8 + 2 + 8, 8)
    assert "width:300px" in widget.data
    with pytest.raises(ValueError, match="`labels` has 2 entries for 3 frames"):
        plot.scrubber(torch.rand(3, 1, 8, 8), ["a", "b"])


def test_save_gif_round_trip(tmp_path):
    frames = torch.rand(5, 3, 16, 16)
    path = plot.save_gif(frames, tmp_path / "m.gif", duration_ms=100)
    assert _gif(path) == (5, (128, 128))  # enlarged ×8 to ≥ 128 px
    n, size = _gif(plot.save_gif(frames, tmp_path / "l.gif", [f"α = {k}" for k in range(5)], scale=2))
    assert n == 5 and size[1] == 32 + 16
    with pytest.raises(ValueError, match="`labels` has 1 entries for 5 frames"):
        plot.save_gif(frames, tmp_path / "x.gif", ["a"])


def _small_cnn(classes=10):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5, stride=2, padding=2),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 16, 5, stride=2, padding=2),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(16 * 16, classes),
    ).eval()


def test_camera_morph_in_a_few_lines(tmp_path):
    # the library's promise (ARCHITECTURE.md): a 12-frame CSP-phase morph of a shipped image
    from skimage import data, transform

    x = torch.tensor(transform.resize(data.camera(), (64, 64), anti_aliasing=True), dtype=torch.float32)[None, None]
    model, target = _small_cnn(), 3
    lens = sl.SteerableLens(model, domain="csp", component="phase")
    morph = lens.morph(x, target, n_frames=12, alpha=0.5)
    fig = morph.show()
    html = morph.animate()
    gif = morph.save_gif(tmp_path / "m.gif")

    assert morph.frames.shape == (1, 12, 1, 64, 64) and morph.probs.shape == (1, 12, 10)
    assert (morph.frames[0, 0] - x[0]).abs().max() < 2e-5
    assert len(fig.axes) == 12 and "csp phase morph" in fig._suptitle.get_text()
    assert html.data.count("<img") == 12
    labels = json.loads(_parse(html.data)[0][1]["data-labels"])
    assert labels[0].startswith("α = 0: p(class 3) = ")
    assert _gif(gif)[0] == 12


def test_morph_result_plots_one_image_of_a_batch(tmp_path):
    x = torch.rand(2, 1, 32, 32)
    morph = sl.SteerableLens(_small_cnn(), height=2).morph(x, torch.tensor([1, 2]), n_frames=3, alpha=1.0)
    assert len(morph.show().axes) == 6
    assert len(morph.show(image=1, class_names=[str(i) for i in range(10)]).axes) == 3
    one = morph.animate(image=1, class_names=[f"c{i}" for i in range(10)])
    assert json.loads(_parse(one.data)[0][1]["data-labels"])[2].endswith(f"p(c2) = {float(morph.target_probs[1, 2]):.2f}")
    both = json.loads(_parse(morph.animate().data)[0][1]["data-labels"])
    assert " | " in both[0]
    assert _gif(morph.save_gif(tmp_path / "b.gif", image=0))[0] == 3


def test_scrubber_opens_at_the_requested_frame_and_by_default_at_the_last():
    frames = torch.rand(5, 1, 8, 8)
    labels = [f"frame {k}" for k in range(5)]
    for start, shown in [(None, 4), (2, 2), (-2, 3)]:
        widget = plot.scrubber(frames, labels, start=start)
        images = [a for t, a in _parse(widget.data) if t == "img"]
        visible = [k for k, a in enumerate(images) if "display:none" not in a["style"]]
        assert visible == [shown]
        assert f'value="{shown}"' in widget.data and f"frame {shown}</div>" in widget.data
    with pytest.raises(ValueError, match="`start` must be a frame index"):
        plot.scrubber(frames, start=5)


def test_morph_strip_wraps_long_sequences_and_draws_change_maps():
    frames = torch.rand(1, 9, 1, 28, 28)
    fig = plot.morph_strip(frames, torch.rand(1, 9), torch.arange(9.0))
    assert fig.axes[0].get_gridspec().ncols == 6  # at most six frames a row
    assert fig.get_figwidth() <= plot.COLUMN_WIDTH + 1e-6
    fig = plot.morph_strip(frames, changes=True, per_row=3)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "change" in labels and "$x_k - x_0$" in labels  # a labelled colour bar


def test_house_style_fonts_are_legible_at_column_width():
    import matplotlib

    with matplotlib.rc_context():
        plot.use_book_style()
        sizes = [matplotlib.rcParams[k] for k in ("xtick.labelsize", "ytick.labelsize", "legend.fontsize")]
        assert min(float(s) for s in sizes) >= plot.MIN_FONT_PT
        assert matplotlib.rcParams["figure.dpi"] == plot.DPI
        fig, axes = plot.figure(4, aspect=1.0)
        assert fig.get_figwidth() == pytest.approx(plot.COLUMN_WIDTH) and len(axes) == 4
    with pytest.raises(ValueError, match="`aspect` must be positive"):
        plot.figure(2, aspect=0)
