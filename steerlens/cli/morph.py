"""``steerlens morph``: morph your images toward a class with your model, or edit them to a budget."""

from __future__ import annotations

import argparse
import inspect
import math
from pathlib import Path

import torch

from . import _common as c
from ._common import CLIError
from ._io import check_output_folder, load_image, require_av, write_animation, write_table
from ._models import check_fit, class_label, load_model, resolve_class

__all__: list[str] = []

OUTPUTS = (".gif", ".mp4", ".png", ".csv", ".json")
_OBJECTIVES = ("nll", "logit", "margin")
_COLORS = ("rgb", "luminance")

DESCRIPTION = """\
Morph images toward a target class along the classifier's one-step gradient in
transform coordinates (steerable pyramid phase by default), or, with --budget,
edit them to a matched pixel L2 budget. Writes, by file extension: an animation
(.gif, .mp4), a strip with the target probability under every frame (.png), and
the numbers (.csv, .json). Give -o several times for several files.

--model is a zoo model (steerlens.models.zoo_names()), an ImageNet classifier
name (torchvision's, e.g. resnet18, weights from torch's cache), a TorchScript
file, or a state-dict file with --arch naming its architecture (a zoo name or a
torchvision name). Images of any size and format Pillow reads are converted to
the model's channels and resized and centre-cropped to its input size (zoo:
its input_shape; ImageNet: 224×224; TorchScript: 3×224×224 unless --channels /
--size say otherwise)."""

EPILOG = """\
examples:
  steerlens morph digit.png --model mnist_cnn --target 8 -o morph.gif -o morph.png
  steerlens morph cat.jpg --model resnet18 --target "tiger cat" --alpha 40 -o cat.mp4
  steerlens morph a.png b.png --model mnist_cnn --target 3 --domain pixel --frames 6 -o m.png
  steerlens morph photo.png --model natural_shifts_cnn --target right --alpha=-4:4 -o m.gif
  steerlens morph digit.png --model mnist_cnn --target 8 --budget 2 --regime live -o e.png
  steerlens morph x.png --model net.pt --arch resnet18 --target 281 -o m.json
  steerlens morph x.png --model scripted.pt --channels 1 --size 28 --target 3 -o m.csv

--alpha: the amplification in first-order pixel L2 units (--normalize l2): auto
(the range where the target probability rises, read on one gradient), MAX (0 to
MAX) or LO:HI (write --alpha=-2:4 when LO is negative).

exit status: 0 success, 1 error while running (missing or unreadable file,
unknown model or class, a model that does not accept the images, ...), 2 usage
error (unknown option, bad number, output format it cannot write)."""


def add_parser(subparsers, parents) -> argparse.ArgumentParser:
    from ..lens import COMPONENTS, DOMAINS, NORMALIZATIONS, REGIMES, SteerableLens

    p = subparsers.add_parser(
        "morph", parents=parents, help="morph images toward a class (or edit them to a budget)",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=c.HelpFormatter,
    )
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="input image file(s)")
    p.add_argument("-m", "--model", required=True, metavar="NAME_OR_PATH",
                   help="zoo name, ImageNet classifier name, TorchScript or state-dict file")
    p.add_argument("-t", "--target", required=True, metavar="CLASS",
                   help="target class: index or name; one for all images or one per image "
                        "separated by commas")
    p.add_argument("-o", "--output", action="append", required=True, metavar="OUT",
                   type=c.output_path(OUTPUTS), help=f"output file ({', '.join(OUTPUTS)}); repeatable")
    g = p.add_argument_group("the lens")
    g.add_argument("--domain", choices=DOMAINS, default="csp", help="edit coordinates (default csp)")
    g.add_argument("--component", choices=COMPONENTS,
                   help="what is edited in csp/fourier (default phase)")
    g.add_argument("--objective", choices=_OBJECTIVES, default="nll", help="default nll")
    g.add_argument("--color", choices=_COLORS, default="rgb", help="edit every channel or only "
                   "luminance (default rgb)")
    g.add_argument("--height", type=c.height, default="auto", metavar="N|auto",
                   help="pyramid scales (default auto)")
    g.add_argument("--order", type=c.integer(1), default=3, metavar="N",
                   help="pyramid orientations − 1 (default 3)")
    g.add_argument("--normalize", choices=NORMALIZATIONS, default="l2", help="unit of α (default l2)")
    if "flow_grid" in inspect.signature(SteerableLens).parameters:
        g.add_argument("--flow-grid", type=c.integer(2), metavar="N",
                       help="--domain flow: control points of the displacement field per side")
    g = p.add_argument_group("the morph")
    g.add_argument("--frames", type=c.integer(2), default=12, metavar="K",
                   help="frames of the morph; an edit's path is shown in at most K (default 12)")
    g.add_argument("--alpha", "--amplification", type=c.alpha_spec, default="auto",
                   metavar="auto|MAX|LO:HI",
                   help="amplification range (default auto)")
    g = p.add_argument_group("a matched-budget edit instead (lens.edit)")
    g.add_argument("--budget", type=c.positive, metavar="L2",
                   help="edit until the pixel L2 change equals L2")
    g.add_argument("--regime", choices=REGIMES, help="default persistent")
    g.add_argument("--step-size", type=c.positive, metavar="A", help="α per step (default budget/10)")
    g.add_argument("--phase-cap", type=c.positive, metavar="RAD", help="cap on each step's phase change")
    g.add_argument("--max-steps", type=c.integer(1), default=100, metavar="N", help="default 100")
    g = p.add_argument_group("model and images")
    g.add_argument("--arch", metavar="NAME", help="architecture of a state-dict --model file")
    g.add_argument("--channels", type=int, choices=(1, 3), help="override the model's input channels")
    g.add_argument("--size", type=c.size, metavar="N|HxW", help="override the model's input size")
    g.add_argument("--fit", choices=("crop", "stretch"), default="crop",
                   help="resize to cover and centre-crop, or stretch (default crop)")
    g.add_argument("--class-names", type=Path, metavar="FILE", help="class names, one per line")
    g.add_argument("--download", action="store_true",
                   help="download missing torchvision weights (default: torch's cache only)")
    g = p.add_argument_group("pictures")
    g.add_argument("--fps", type=c.positive, default=4.0, help="animation frame rate (default 4)")
    g.add_argument("--scale", type=c.integer(1), metavar="N",
                   help="integer enlargement of GIF/MP4 frames (default: to ≥ 128 px)")
    g.add_argument("--per-row", type=c.integer(1), metavar="N", help="strip: frames per row")
    g.add_argument("--changes", action="store_true", help="strip: add the change from frame 0")
    p.set_defaults(run=run)
    return p


def _check_args(args) -> None:
    if args.budget is None:
        for name in ("regime", "step_size", "phase_cap"):
            if getattr(args, name) is not None:
                flag = "--" + name.replace("_", "-")
                raise CLIError(f"{flag} applies to an edit: add --budget L2", code=c.EXIT_USAGE)
    elif args.alpha != "auto":
        raise CLIError("--alpha sets a morph; with --budget the edit finds its own α",
                       code=c.EXIT_USAGE)
    seen = set()
    for out in args.output:
        if out.resolve() in seen:
            raise CLIError(f"-o {out} is given twice", code=c.EXIT_USAGE)
        seen.add(out.resolve())


def _nice(value: float) -> float:
    """``value`` rounded to two significant digits."""
    if value == 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(abs(value))))
    return round(value, digits)


def auto_alpha_max(lens, grad, targets: torch.Tensor, numel: int, points: int = 24) -> float:
    """The end of an α range that shows the rise of the target probability (from one gradient).

    Read the target probability on ``points`` frames up to a cap (an RMS pixel change of
    0.2 with ``normalize="l2"``; π with ``"max_step"``); end at twice the α where the mean
    probability first comes within 0.01 of its largest value, or at the cap.
    """
    if lens.normalize == "l2":
        cap = 0.2 * math.sqrt(numel)
    elif lens.normalize == "max_step":
        cap = math.pi
    else:
        change = float(grad.first_order_norm.max())
        cap = 0.2 * math.sqrt(numel) / change if change > 0 else 1.0
    alphas = torch.linspace(0.0, cap, points + 1, dtype=torch.float64)
    frames = lens.frames_from_gradient(grad, alphas)
    probs = lens.probabilities(frames.flatten(0, 1)).view(*frames.shape[:2], -1)
    tp = probs.gather(2, targets.view(-1, 1, 1).expand(-1, probs.shape[1], 1))[..., 0].mean(0)
    best = float(tp.max())
    if best < float(tp[0]) + 0.01:
        return _nice(cap)
    first = int(torch.nonzero(tp >= best - 0.01)[0])
    return _nice(min(cap, 2.0 * float(alphas[max(first, 1)])))


def run(args) -> int:
    _check_args(args)
    for out in args.output:
        check_output_folder(out)
        if out.suffix.lower() == ".mp4":
            require_av("writing .mp4")
    device = c.select_device(args.device)
    c.seed_everything(args.seed)
    edit = args.budget is not None
    stages = c.Stages(
        ["model", "images", "gradient" if not edit else "edit", "frames", "write"],
        args.quiet, "morph" if not edit else "edit",
    )
    try:
        lines = _run(args, device, edit, stages)
    finally:
        stages.close()
    c.say(args.quiet, *lines)
    return c.EXIT_OK


def _run(args, device, edit: bool, stages) -> list[str]:
    from ..lens import SteerableLens

    loaded = load_model(
        args.model, arch=args.arch, download=args.download, channels=args.channels,
        size=args.size, class_names=args.class_names,
    )
    loaded.model = loaded.model.to(device)
    stages.next()
    x = torch.stack([load_image(p, loaded.input_shape, args.fit) for p in args.images]).to(device)
    n_classes = check_fit(loaded, x)
    tokens = [t for t in args.target.split(",")] if "," in args.target else [args.target]
    if len(tokens) not in (1, len(args.images)):
        raise CLIError(
            f"--target gives {len(tokens)} classes for {len(args.images)} images: give one, or "
            f"one per image", code=c.EXIT_USAGE,
        )
    targets = [resolve_class(t, loaded, n_classes) for t in tokens]
    targets = torch.tensor(targets * (len(args.images) if len(targets) == 1 else 1), device=device)
    stages.next()
    try:
        options = {"objective": args.objective, "color": args.color, "height": args.height,
                   "order": args.order, "normalize": args.normalize}
        if args.component is not None:  # the lens's default otherwise (some domains ignore it)
            options["component"] = args.component
        if getattr(args, "flow_grid", None) is not None:
            options["flow_grid"] = args.flow_grid
        lens = SteerableLens(loaded.model, args.domain, **options)
        if edit:
            result = lens.edit(
                x, targets, args.budget, regime=args.regime or "persistent",
                step_size=args.step_size, phase_cap=args.phase_cap, max_steps=args.max_steps,
            )
            stages.next()
            frames = torch.cat([x[:, None], result.path], dim=1)
            steps = torch.cat([torch.zeros_like(result.path_distance[:, :1]), result.path_distance], 1)
            keep = _evenly(frames.shape[1], args.frames)
            frames, distance = frames[:, keep], steps[:, keep].cpu()
            axis = distance.mean(0)  # per image in the tables; equal at the end once attained
        else:
            distance = None
            grad = lens.gradient(x, targets)
            if args.alpha == "auto":
                low, high = 0.0, auto_alpha_max(lens, grad, targets, x[0].numel())
            else:
                low, high = args.alpha
            stages.next()
            axis = torch.linspace(low, high, args.frames, dtype=torch.float64)
            frames = lens.frames_from_gradient(grad, axis)
        probs = lens.probabilities(frames.flatten(0, 1)).view(*frames.shape[:2], -1)
    except (ValueError, TypeError) as err:
        raise CLIError(str(err)) from None
    stages.next()
    frames, probs = frames.detach().cpu(), probs.detach().cpu()
    targets = targets.cpu()
    tp = probs.gather(2, targets.view(-1, 1, 1).expand(-1, probs.shape[1], 1))[..., 0]
    names = [class_label(int(t), loaded) for t in targets]
    symbol = "L2" if edit else "α"
    labels = []
    for k, a in enumerate(axis.tolist()):
        ps = " | ".join(f"p({n}) = {float(tp[b, k]):.2f}" for b, n in enumerate(names))
        labels.append(f"{symbol} = {a:.3g}: {ps}")
    written = []
    for out in args.output:
        suffix = out.suffix.lower()
        if suffix in (".gif", ".mp4"):
            w, h = write_animation(frames, out, labels, args.fps, args.scale)
            written.append(f"{out} ({frames.shape[1]} frames, {w}×{h} px)")
        elif suffix == ".png":
            _write_strip(frames, tp, axis, names, out, args, loaded, edit)
            written.append(f"{out} (strip of {frames.shape[1]} frames)")
        else:
            rows, record = _table(args, loaded, frames, probs, tp, axis, distance, targets)
            write_table(rows, out, record)
            written.append(f"{out} ({len(rows)} rows)")
    stages.next()
    lines = []
    for b, path in enumerate(args.images):
        k = int(tp[b].argmax())
        lines.append(
            f"{path.name}: p({names[b]}) {float(tp[b, 0]):.2f} at {symbol} = {float(axis[0]):.3g}"
            f", peak {float(tp[b, k]):.2f} at {symbol} = {float(axis[k]):.3g}, "
            f"{float(tp[b, -1]):.2f} at {symbol} = {float(axis[-1]):.3g}"
            + (f" (budget attained: {bool(result.attained[b])})" if edit else "")
        )
    if not edit and float(tp.max()) < 0.5:
        lines.append(
            "note: the one-step line never makes the target the likely class; an iterative "
            "edit often does: add --budget L2 (e.g. --budget 3)"
        )
    return lines + [f"wrote {line}" for line in written]


def _evenly(count: int, most: int) -> list[int]:
    if count <= most:
        return list(range(count))
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})


def _write_strip(frames, tp, axis, names, out: Path, args, loaded, edit: bool) -> None:
    import matplotlib

    from .. import plot

    with matplotlib.rc_context():
        plot.use_book_style()
        import matplotlib.pyplot as plt

        if edit:
            title = f"{args.regime or 'persistent'} {args.domain} edit of {loaded.name} to L2 = {args.budget:g}"
        else:
            part = (args.component or "phase") if args.domain in ("csp", "fourier") else ""
            title = f"{args.domain} {part} morph of {loaded.name}"
            title = " ".join(title.split()) + f" (α unit: {args.normalize})"
        fig = plot.morph_strip(
            frames, tp, axis, target_names=names, title=title, per_row=args.per_row,
            changes=args.changes,
        )
        if edit:  # morph_strip titles each frame "α = …": an edit's axis is its L2 change
            for ax in fig.axes:
                if ax.get_title().startswith("α = "):
                    ax.set_title(ax.get_title().replace("α", "L2", 1))
        try:
            fig.savefig(out, dpi=plot.DPI)
        finally:
            plt.close(fig)


def _table(args, loaded, frames, probs, tp, axis, distance, targets):
    edit = distance is not None
    rows = []
    top_p, top = probs.max(dim=2)
    for b, path in enumerate(args.images):
        for k, a in enumerate(axis.tolist()):
            rows.append({
                "image": str(path),
                "target": int(targets[b]),
                "target_name": class_label(int(targets[b]), loaded),
                "frame": k,
                ("l2" if edit else "alpha"): float(distance[b, k]) if edit else a,
                "p_target": float(tp[b, k]),
                "top_class": int(top[b, k]),
                "top_name": class_label(int(top[b, k]), loaded),
                "p_top": float(top_p[b, k]),
            })
    record = {
        "model": args.model,
        "kind": loaded.kind,
        "input_shape": list(loaded.input_shape),
        "domain": args.domain,
        "component": args.component or "phase",
        "objective": args.objective,
        "normalize": args.normalize,
        "mode": "edit" if edit else "morph",
        "budget": args.budget,
        "regime": (args.regime or "persistent") if edit else None,
        "frame_shape": list(frames.shape[2:]),
    }
    return rows, record
