"""The command line, end to end: ``steerlens morph | compare | magnify`` on shipped images and models.

Every subcommand runs in-process through ``main([...])`` (and once as ``python -m steerlens``);
the tests read the written files back (frame counts, sizes, probabilities) and check every
error path: one line on stderr, the right exit status, never a traceback.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import steerlens as sl
from steerlens.cli import main
from steerlens.lens import DOMAINS

ROOT = Path(__file__).resolve().parents[1]


# -- shipped inputs, written to disk as a user would have them ------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Shipped MNIST digits (a 0 and a 3) as PNG, scikit-image photos as JPEG/PNG, a GIF clip."""
    import skimage.data

    d = tmp_path_factory.mktemp("inputs")
    test = sl.data.mnist_digits("test")
    out = {}
    for name, index in (("zero", 0), ("three", 300)):
        assert int(test.labels[index]) == {"zero": 0, "three": 3}[name]
        pixels = (test.images[index, 0].numpy() * 255 + 0.5).astype(np.uint8)
        out[name] = d / f"{name}.png"
        Image.fromarray(pixels).save(out[name])
    out["cat"] = d / "chelsea.jpg"  # 300×451 RGB
    Image.fromarray(skimage.data.chelsea()).save(out["cat"], quality=95)
    out["camera"] = d / "camera.png"  # 512×512 grey
    Image.fromarray(skimage.data.camera()[::4, ::4]).save(out["camera"])
    # a Gabor patch swaying by ±0.25 px at 1 Hz, 16 frames at 16 fps (GIF: 60 ms per frame)
    shift = sl.signals.motion.sinusoidal_displacement(16, 0.25, 1.0, 16.0)
    clip = sl.signals.motion.moving_pattern(shift, (32, 32), "gabor", wavelength=8.0)
    pictures = [Image.fromarray((f[0].numpy() * 255 + 0.5).astype(np.uint8)) for f in clip.video]
    out["clip"] = d / "sway.gif"
    pictures[0].save(out["clip"], save_all=True, append_images=pictures[1:], duration=60, loop=0)
    out["text"] = d / "notes.png"
    out["text"].write_text("not a picture")
    return out


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(path: Path) -> list[dict]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _gif(path: Path) -> tuple[int, tuple[int, int], list[np.ndarray]]:
    with Image.open(path) as img:
        frames = [np.asarray(img.convert("L"), dtype=np.float32) / 255 for _ in _seek(img)]
        return img.n_frames, img.size, frames


def _seek(img):
    for k in range(img.n_frames):
        img.seek(k)
        yield k


def _trace(model, example, path: Path) -> Path:
    """Save ``model`` as TorchScript (torch.jit.trace warns that TorchScript is deprecated)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning))
        torch.jit.trace(model.eval(), example).save(str(path))
    return path


def _source_probs(model_name: str, png: Path) -> torch.Tensor:
    with Image.open(png) as img:
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255)[None, None]
    return sl.models.pretrained(model_name)(x).softmax(1)[0]


# -- the parser -----------------------------------------------------------------------------


def test_version_and_help(capsys):
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"steerlens {sl.__version__}"
    code, out, _ = _run(capsys, "--help")
    assert code == 0 and all(cmd in out for cmd in ("morph", "compare", "magnify"))
    code, out, _ = _run(capsys, "morph", "--help")
    assert code == 0 and "examples:" in out and "exit status" in out
    assert all(domain in out for domain in DOMAINS)  # read from the lens: flow appears with it
    for command in ("compare", "magnify"):
        code, out, _ = _run(capsys, command, "--help")
        assert code == 0 and "examples:" in out


def _documented_commands() -> list[tuple[str, str]]:
    """Every ``steerlens …`` line of the README's and the API page's code blocks and help epilogs."""
    from steerlens.cli import build_parser

    texts = {name: (ROOT / name).read_text() for name in ("README.md", "book/api.md")}
    parser = build_parser()
    for name, sub in parser._subparsers._group_actions[0].choices.items():
        texts[f"steerlens {name} --help"] = sub.epilog
    texts["steerlens --help"] = parser.epilog
    found = []
    for source, text in texts.items():
        for line in text.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("steerlens ") and not line.startswith("steerlens COMMAND"):
                found.append((source, line))
    return found


def test_documented_command_lines_parse():
    import shlex

    from steerlens.cli import build_parser

    commands = _documented_commands()
    assert {s for s, _ in commands} >= {"README.md", "book/api.md"}
    assert {line.split()[1] for _, line in commands} == {"morph", "compare", "magnify", "grade"}
    for source, line in commands:
        try:
            build_parser().parse_args(shlex.split(line)[1:])
        except Exception as err:  # noqa: BLE001 - report which documented line fails
            pytest.fail(f"{source}: `{line}` does not parse: {err}")


# -- morph ----------------------------------------------------------------------------------


def test_morph_digits_writes_every_format(capsys, files, tmp_path, device):
    outs = [tmp_path / f"m.{ext}" for ext in ("gif", "png", "csv", "json")]
    code, out, err = _run(
        capsys, "morph", files["zero"], files["three"], "--model", "mnist_cnn", "--target", "6,8",
        "--domain", "pixel", "--frames", "5", "--alpha", "8", "--device", device,
        *[a for o in outs for a in ("-o", o)],
    )
    assert code == 0, err
    assert err == ""  # no progress bar without a terminal
    n, size, _ = _gif(outs[0])
    assert n == 5 and size[1] >= 128  # 28-px frames enlarged to ≥ 128 px, caption below
    with Image.open(outs[1]) as strip:
        assert strip.size[0] > 300
    rows = _rows(outs[2])
    assert len(rows) == 2 * 5
    alphas = [float(r["alpha"]) for r in rows[:5]]
    assert alphas == pytest.approx([0, 2, 4, 6, 8])
    for name, target, part in (("zero", 6, rows[:5]), ("three", 8, rows[5:])):
        p = [float(r["p_target"]) for r in part]
        # frame 0 is the source: the model's own probability of the target on the PNG
        source = float(_source_probs("mnist_cnn", files[name])[target])
        assert p[0] == pytest.approx(source, abs=1e-4)
        assert p[-1] > p[0] + 0.5, f"{name}: p({target}) along the pixel morph {p}"
        assert {r["target_name"] for r in part} == {str(target)}
    record = json.loads(outs[3].read_text())
    assert record["mode"] == "morph" and record["input_shape"] == [1, 28, 28]
    assert [f["p_target"] for f in record["frames"]] == pytest.approx(
        [float(r["p_target"]) for r in rows]
    )
    assert "zero.png: p(6)" in out and "three.png: p(8)" in out and f"wrote {outs[0]} (5 frames" in out


def test_morph_auto_alpha_on_the_pyramid(capsys, files, tmp_path, device):
    table = tmp_path / "auto.csv"
    code, _, err = _run(
        capsys, "morph", files["three"], "-m", "mnist_cnn", "-t", "8", "--frames", "4",
        "--device", device, "-q", "-o", table,
    )
    assert code == 0, err
    rows = _rows(table)
    alphas = [float(r["alpha"]) for r in rows]
    assert alphas[0] == 0 and 0 < alphas[-1] <= 0.2 * 28 + 1e-9  # the cap: RMS change 0.2
    assert np.all(np.diff(alphas) > 0)
    p = [float(r["p_target"]) for r in rows]
    assert p[0] == pytest.approx(float(_source_probs("mnist_cnn", files["three"])[8]), abs=1e-4)


@pytest.mark.parametrize("domain", DOMAINS)
def test_morph_every_domain(capsys, files, tmp_path, device, domain):
    table = tmp_path / "d.csv"
    code, _, err = _run(
        capsys, "morph", files["zero"], "-m", "mnist_cnn", "-t", "6", "--domain", domain,
        "--frames", "3", "--alpha=-1:2", "--device", device, "-q", "-o", table,
    )
    assert code == 0, err
    rows = _rows(table)
    assert [float(r["alpha"]) for r in rows] == pytest.approx([-1.0, 0.5, 2.0])
    assert all(0 <= float(r["p_target"]) <= 1 for r in rows)


def test_morph_photos_are_converted_to_the_model_input(capsys, files, tmp_path, device):
    # a 300×451 RGB JPEG and a 128×128 grey PNG into a 3×64×64 model; RGB into a grey model
    record = tmp_path / "photo.json"
    gif = tmp_path / "photo.gif"
    code, _, err = _run(
        capsys, "morph", files["cat"], files["camera"], "-m", "natural_shifts_cnn",
        "-t", "left,right", "--domain", "pixel", "--frames", "3", "--alpha", "4", "--scale", "1",
        "--device", device,
        "-q", "-o", record, "-o", gif,
    )
    assert code == 0, err
    data = json.loads(record.read_text())
    assert data["frame_shape"] == [3, 64, 64]
    assert [f["target_name"] for f in data["frames"]] == ["left"] * 3 + ["right"] * 3
    n, (width, height), _ = _gif(gif)
    assert n == 3 and height == 64 + 16 and width >= 2 * 64 + 2  # two images side by side
    code, _, err = _run(
        capsys, "morph", files["cat"], "-m", "mnist_cnn", "-t", "3", "--frames", "2",
        "--alpha", "1", "--domain", "pixel", "-q", "-o", record,
    )
    assert code == 0, err
    assert json.loads(record.read_text())["frame_shape"] == [1, 28, 28]


def test_images_of_any_mode_become_the_model_input(tmp_path):
    from steerlens.cli._io import load_image

    clear = tmp_path / "clear.png"  # fully transparent: composited on white
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(clear)
    assert torch.equal(load_image(clear, (1, 28, 28)), torch.ones(1, 28, 28))
    deep = tmp_path / "deep.png"  # 16-bit grey, half range
    Image.fromarray(np.full((20, 50), 32768, dtype=np.uint16)).save(deep)
    x = load_image(deep, (3, 16, 16))
    assert x.shape == (3, 16, 16) and float((x - 0.5).abs().max()) < 0.01
    wide = tmp_path / "wide.png"  # left half black, right half white: the crop keeps the centre
    pixels = np.zeros((10, 40), dtype=np.uint8)
    pixels[:, 20:] = 255
    Image.fromarray(pixels).save(wide)
    crop = load_image(wide, (1, 8, 8))[0]
    assert float(crop[:, :3].max()) < 0.05 and float(crop[:, -3:].min()) > 0.95
    stretched = load_image(wide, (1, 8, 8), fit="stretch")[0]
    assert torch.allclose(stretched, crop, atol=0.05)  # both keep the two halves
    palette = tmp_path / "palette.gif"
    Image.new("P", (12, 12), 3).save(palette)
    assert load_image(palette, (3, 8, 8)).shape == (3, 8, 8)


def test_morph_budget_runs_a_matched_budget_edit(capsys, files, tmp_path, device):
    record, strip = tmp_path / "edit.json", tmp_path / "edit.png"
    code, out, err = _run(
        capsys, "morph", files["zero"], "-m", "mnist_cnn", "-t", "6", "--budget", "1.5",
        "--regime", "fixed", "--frames", "6", "--device", device, "-o", record, "-o", strip,
    )
    assert code == 0, err
    data = json.loads(record.read_text())
    assert data["mode"] == "edit" and data["regime"] == "fixed" and data["budget"] == 1.5
    distances = [f["l2"] for f in data["frames"]]
    assert len(distances) == 6 and distances[0] == 0
    assert distances[-1] == pytest.approx(1.5, rel=1e-3)  # lens.edit stops at the budget
    assert np.all(np.diff(distances) > 0)
    assert "budget attained: True" in out and strip.stat().st_size > 0


def test_morph_model_files(capsys, files, tmp_path, device):
    import torchvision

    model = sl.models.pretrained("mnist_cnn")
    weights = tmp_path / "weights.pt"
    torch.save(model.state_dict(), weights)
    traced = _trace(model, torch.rand(1, 1, 28, 28), tmp_path / "traced.pt")
    table = tmp_path / "t.csv"
    common = [files["three"], "-t", "8", "--domain", "pixel", "--frames", "2", "--alpha", "1",
              "--device", device, "-q", "-o", table]
    code, _, err = _run(capsys, "morph", "-m", weights, "--arch", "mnist_cnn", *common)
    assert code == 0, err
    from_state = [float(r["p_target"]) for r in _rows(table)]
    code, _, err = _run(capsys, "morph", "-m", traced, "--channels", "1", "--size", "28", *common)
    assert code == 0, err
    assert [float(r["p_target"]) for r in _rows(table)] == pytest.approx(from_state, abs=1e-5)
    # a torchvision architecture from a state dict: ImageNet class names work
    net = torchvision.models.squeezenet1_1(weights=None)
    tv_weights = tmp_path / "squeeze.pth"
    torch.save(net.state_dict(), tv_weights)
    code, _, err = _run(
        capsys, "morph", files["cat"], "-m", tv_weights, "--arch", "squeezenet1_1",
        "-t", "tiger cat", "--size", "64", "--domain", "pixel", "--frames", "2", "--alpha", "1",
        "--device", device, "-q", "-o", table,
    )
    assert code == 0, err
    rows = _rows(table)
    assert rows[0]["target"] == "282" and rows[0]["target_name"] == "tiger cat"


# -- errors: one line, the right status, never a traceback ----------------------------------


def _one_line_error(capsys, argv, code: int, pattern: str) -> str:
    got, out, err = _run(capsys, *argv)
    assert got == code, (argv, got, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("steerlens"), err
    import re

    assert re.search(pattern, err), err
    return err


MORPH_ERRORS = [
    # (argv after the image, exit status, message)
    (["-m", "mnist_cnnn", "-t", "3"], 1, r"unknown model 'mnist_cnnn'.*Did you mean mnist_cnn"),
    (["-m", "mnist_cnn", "-t", "eleven"], 1, r"unknown class 'eleven' for model 'mnist_cnn'"),
    (["-m", "mnist_cnn", "-t", "12"], 1, r"class 12 is out of range.*10 classes \(0–9\)"),
    (["-m", "mnist_cnn", "-t", "1,2,3"], 2, r"--target gives 3 classes for 1 images"),
    (["-m", "mnist_cnn", "-t", "3", "--size", "64"], 1,
     r"model 'mnist_cnn' does not accept 1×64×64 images .*--channels and --size"),
    (["-m", "nets/missing.pt", "-t", "3"], 1, r"model file 'nets/missing.pt' does not exist"),
    (["-m", "mnist_cnn", "-t", "3", "--frames", "two"], 2, r"--frames: 'two' is not a whole"),
    (["-m", "mnist_cnn", "-t", "3", "--frames", "1"], 2, r"--frames: '1' must be ≥ 2"),
    (["-m", "mnist_cnn", "-t", "3", "--alpha", "nan"], 2, r"--alpha/--amplification: 'nan' is not a finite"),
    (["-m", "mnist_cnn", "-t", "3", "--alpha", "1:1"], 2, r"the range's ends must differ"),
    (["-m", "mnist_cnn", "-t", "3", "--budget", "-1"], 2, r"--budget: '-1' must be > 0"),
    (["-m", "mnist_cnn", "-t", "3", "--regime", "live"], 2, r"--regime applies to an edit"),
    (["-m", "mnist_cnn", "-t", "3", "--budget", "1", "--alpha", "3"], 2, r"--alpha sets a morph"),
    (["-m", "mnist_cnn", "-t", "3", "--domain", "wavelet"], 2, r"invalid choice: 'wavelet'"),
    (["-m", "mnist_cnn", "-t", "3", "--device", "cuda:99"], 1, r"--device cuda:99"),
    (["-m", "mnist_cnn", "-t", "3", "--bogus"], 2, r"unrecognized arguments: --bogus"),
    (["-m", "mnist_cnn", "-t", "3", "--domain", "pixel", "--phase-cap", "1", "--budget", "1"], 1,
     r"`phase_cap` limits phase steps"),
]


@pytest.mark.parametrize("extra,code,pattern", MORPH_ERRORS)
def test_morph_errors(capsys, files, tmp_path, extra, code, pattern):
    _one_line_error(capsys, ["morph", files["zero"], *extra, "-o", tmp_path / "x.csv"], code, pattern)


def test_morph_input_and_output_errors(capsys, files, tmp_path):
    model = ["-m", "mnist_cnn", "-t", "3"]
    _one_line_error(capsys, ["morph", tmp_path / "missing.png", *model, "-o", tmp_path / "x.gif"],
                    1, r"image '.*missing.png' does not exist")
    _one_line_error(capsys, ["morph", files["text"], *model, "-o", tmp_path / "x.gif"],
                    1, r"cannot read image '.*notes.png'")
    _one_line_error(capsys, ["morph", tmp_path, *model, "-o", tmp_path / "x.gif"],
                    1, r"is a directory")
    _one_line_error(capsys, ["morph", files["zero"], *model, "-o", tmp_path / "x.tiff"],
                    2, r"cannot write '.*x.tiff': .*one of \.gif, \.mp4, \.png, \.csv, \.json")
    _one_line_error(capsys, ["morph", files["zero"], *model, "-o", tmp_path / "no" / "x.gif"],
                    1, r"folder '.*no' does not exist")
    _one_line_error(capsys, ["morph", files["zero"], "-t", "3", "-o", tmp_path / "x.gif"],
                    2, r"the following arguments are required: -m/--model")
    _one_line_error(capsys, ["frobnicate"], 2, r"invalid choice: 'frobnicate'")
    _one_line_error(capsys, [], 2, r"required: COMMAND")


def test_morph_model_file_errors(capsys, files, tmp_path):
    model = sl.models.pretrained("mnist_cnn")
    weights, pickled = tmp_path / "w.pt", tmp_path / "whole.pt"
    torch.save(model.state_dict(), weights)
    torch.save(model, pickled)
    rest = [files["zero"], "-t", "3", "-o", tmp_path / "x.csv"]
    _one_line_error(capsys, ["morph", "-m", weights, *rest], 1,
                    r"is a state dict: name its architecture with --arch")
    _one_line_error(capsys, ["morph", "-m", weights, "--arch", "resnet", *rest], 1,
                    r"unknown --arch 'resnet'.*did you mean")
    _one_line_error(capsys, ["morph", "-m", weights, "--arch", "blobs_cnn", *rest], 1,
                    r"the weights in '.*w.pt' do not fit --arch blobs_cnn")
    _one_line_error(capsys, ["morph", "-m", pickled, *rest], 1, r"holds pickled Python objects")
    _one_line_error(capsys, ["morph", "-m", files["text"], *rest], 1,
                    r"not a TorchScript file nor a PyTorch state dict")
    traced = _trace(model, torch.rand(1, 1, 28, 28), tmp_path / "traced.pt")
    _one_line_error(capsys, ["morph", "-m", traced, *rest], 1,
                    r"does not accept 3×224×224 images")
    names = tmp_path / "names.txt"
    names.write_text("one\ntwo\n")
    _one_line_error(capsys, ["morph", "-m", "mnist_cnn", "--class-names", names, *rest], 1,
                    r"has 10 outputs but 2 class names")


def test_imagenet_weights_absent_names_the_download(capsys, files, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    err = _one_line_error(
        capsys, ["morph", files["cat"], "-m", "resnet18", "-t", "tiger cat", "-o",
                 tmp_path / "x.gif"], 1,
        r"the ImageNet weights of resnet18 are not in torch's cache: download "
        r"https://download\.pytorch\.org/models/resnet18-\w+\.pth to .*hub/checkpoints/",
    )
    assert "--download" in err


def test_unknown_class_suggests_imagenet_names(capsys, files, tmp_path):
    net = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              torch.nn.Linear(3, 1000))
    traced = _trace(net, torch.rand(1, 3, 8, 8), tmp_path / "tiny.pt")
    names = tmp_path / "imagenet.txt"
    names.write_text("\n".join(sl.models.imagenet_class_names()))
    _one_line_error(capsys, ["morph", files["cat"], "-m", traced, "--class-names", names,
                             "-t", "tigr cat", "--size", "16", "-o", tmp_path / "x.csv"], 1,
                    r"unknown class 'tigr cat' .*did you mean 'tiger cat'")
    _one_line_error(capsys, ["morph", files["cat"], "-m", traced, "-t", "cat", "--size", "16",
                             "-o", tmp_path / "x.csv"], 1,
                    r"has no class names: give --target as an index 0–999")


# -- video: MP4 needs PyAV ------------------------------------------------------------------


def test_mp4_without_pyav_names_the_extra(capsys, files, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` raises ImportError
    _one_line_error(capsys, ["morph", files["zero"], "-m", "mnist_cnn", "-t", "3",
                             "-o", tmp_path / "m.mp4"], 1,
                    r"writing \.mp4 needs PyAV.*pip install 'steerlens\[video\]'")
    _one_line_error(capsys, ["magnify", files["clip"], "--alpha", "2", "--low", "1", "--high", "2",
                             "-o", tmp_path / "v.mp4"], 1, r"needs PyAV")
    movie = tmp_path / "in.mp4"
    movie.write_bytes(b"\0" * 16)
    _one_line_error(capsys, ["magnify", movie, "--alpha", "2", "--low", "1", "--high", "2",
                             "-o", tmp_path / "v.gif"], 1, r"reading \.mp4 needs PyAV")


def test_mp4_round_trip_with_pyav(capsys, files, tmp_path, device):
    av = pytest.importorskip("av")
    movie = tmp_path / "m.mp4"
    code, _, err = _run(capsys, "morph", files["zero"], "-m", "mnist_cnn", "-t", "6", "--domain",
                        "pixel", "--frames", "5", "--alpha", "4", "--device", device, "-q",
                        "-o", movie)
    assert code == 0, err
    with av.open(str(movie)) as container:
        assert len(list(container.decode(video=0))) == 5
    out = tmp_path / "back.gif"
    code, _, err = _run(capsys, "magnify", movie, "--alpha", "0", "--low", "0.5", "--high", "1.5",
                        "--max-frames", "4", "-q", "-o", out)
    assert code == 0, err
    assert _gif(out)[0] == 4


# -- magnify --------------------------------------------------------------------------------


def _temporal_spread(frames: list[np.ndarray]) -> float:
    return float(np.stack(frames).std(axis=0).mean())


def test_magnify_gif(capsys, files, tmp_path, device):
    n_in, size_in, original = _gif(files["clip"])
    same, bigger, pair = tmp_path / "x0.gif", tmp_path / "x4.gif", tmp_path / "pair.gif"
    base = ["magnify", files["clip"], "--low", "0.5", "--high", "2", "--device", device]
    code, out, err = _run(capsys, *base, "--alpha", "0", "-o", same)
    assert code == 0, err
    assert "at 16.7 fps" in out  # read from the GIF (60 ms per frame)
    n, size, frames = _gif(same)
    assert (n, size) == (n_in, size_in)
    assert max(np.abs(a - b).max() for a, b in zip(frames, original, strict=True)) <= 2 / 255
    code, _, err = _run(capsys, *base, "--alpha", "4", "-q", "-o", bigger)
    assert code == 0, err
    n, _, magnified = _gif(bigger)
    assert n == n_in
    ratio = _temporal_spread(magnified) / _temporal_spread(original)
    assert 2.5 < ratio < 7.0, f"a ±0.25 px sway magnified ×5 changes the frames {ratio:.2f}× as much"
    code, _, err = _run(capsys, *base, "--alpha", "4", "--attenuate", "--side-by-side",
                        "--fs", "20", "-q", "-o", pair)
    assert code == 0, err
    assert _gif(pair)[1] == (2 * 32 + 2, 32)


def test_magnify_errors(capsys, files, tmp_path):
    out = ["-o", tmp_path / "v.gif"]
    band = ["--alpha", "3", "--low", "1", "--high", "2"]
    _one_line_error(capsys, ["magnify", tmp_path / "none.gif", *band, *out], 1,
                    r"video '.*none.gif' does not exist")
    _one_line_error(capsys, ["magnify", files["text"], *band, *out], 1,
                    r"cannot read video '.*notes.png'")
    _one_line_error(capsys, ["magnify", files["zero"], *band, *out], 1,
                    r"does not say its frame rate: give --fs")
    _one_line_error(capsys, ["magnify", files["zero"], *band, "--fs", "8", *out], 1,
                    r"at least 4 frames")
    _one_line_error(capsys, ["magnify", files["clip"], "--alpha", "3", "--low", "3", "--high",
                             "2", *out], 1, r"low")
    _one_line_error(capsys, ["magnify", files["clip"], *band, "-o", tmp_path / "v.png"], 2,
                    r"cannot write '.*v.png'")
    _one_line_error(capsys, ["magnify", files["clip"], "--alpha", "x", "--low", "1", "--high",
                             "2", *out], 2, r"--alpha: 'x' is not a number")


# -- compare --------------------------------------------------------------------------------


def test_compare_writes_csv_markdown_json(capsys, tmp_path):
    code, out, err = _run(
        capsys, "compare", "--sources", "2", "--budgets", "1", "--methods", "pixel", "csp_phase",
        "--max-steps", "4", "--grid", "4", "--warp-iterations", "3", "--out", tmp_path,
        "--tag", "t", "--no-progress",
    )
    assert code == 0, err
    stem = tmp_path / "compare_edits_2_t"
    rows = _rows(stem.with_suffix(".csv"))
    assert [(r["method"], float(r["budget"])) for r in rows] == [("pixel", 1.0), ("csp_phase", 1.0)]
    assert all(r["n_sources"] == "2" for r in rows)
    record = json.loads(stem.with_suffix(".json").read_text())
    assert len(record["source_indices"]) == 2 and record["argv"][0] == "compare"
    assert set(record["per_source"]) == {"pixel@1", "csp_phase@1"}
    for values in record["per_source"].values():
        assert all(math.isfinite(v) for v in values["e_warp"]) if "e_warp" in values else True
    markdown = stem.with_suffix(".md").read_text()
    assert markdown.startswith("# Matched-budget edits on MNIST (2 test sources)")
    assert "| L₂ | method |" in markdown and markdown in out


def test_compare_errors_and_the_script_keeps_its_flags(capsys, tmp_path):
    _one_line_error(capsys, ["compare", "--sources", "0"], 2, r"--sources: '0' must be ≥ 1")
    _one_line_error(capsys, ["compare", "--methods", "wavelet"], 2, r"invalid choice: 'wavelet'")
    _one_line_error(capsys, ["compare", "--sources", "5000", "--out", tmp_path], 1,
                    r"the shipped MNIST test split has 1000 images")
    blocker = tmp_path / "file"
    blocker.write_text("")
    _one_line_error(capsys, ["compare", "--out", blocker], 1, r"is a file, not a folder")
    spec = importlib.util.spec_from_file_location("compare_edits", ROOT / "scripts/compare_edits.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--help"]) == 0
    text = capsys.readouterr().out
    flags = ("--sources", "--out", "--tag", "--budgets", "--methods", "--regime", "--objective",
             "--height", "--step-size", "--phase-cap", "--max-steps", "--driver", "--targets",
             "--grid", "--warp-iterations", "--max-displacement", "--batch-size", "--seed",
             "--threads", "--no-progress")
    assert all(flag in text for flag in flags)


# -- as a program ---------------------------------------------------------------------------


def test_python_dash_m_steerlens(files, tmp_path):
    gif = tmp_path / "m.gif"
    ok = subprocess.run(
        [sys.executable, "-m", "steerlens", "morph", str(files["three"]), "--model", "mnist_cnn",
         "--target", "8", "--domain", "pixel", "--frames", "3", "--alpha", "2", "-o", str(gif)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert _gif(gif)[0] == 3 and f"wrote {gif}" in ok.stdout


def test_morph_that_never_reaches_the_target_suggests_an_edit(capsys, files, tmp_path):
    code, out, err = _run(
        capsys, "morph", files["zero"], "-m", "mnist_cnn", "-t", "6", "--frames", "2",
        "--alpha", "0.01", "-o", tmp_path / "tiny.csv",
    )
    assert code == 0, err
    assert "add --budget" in out + err
    code, out, err = _run(
        capsys, "morph", files["zero"], "-m", "mnist_cnn", "-t", "6", "--frames", "2",
        "--budget", "3", "-o", tmp_path / "edit.csv",
    )
    assert code == 0, err
    assert "add --budget" not in out + err
