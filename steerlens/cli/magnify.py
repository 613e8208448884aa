"""``steerlens magnify``: phase-based motion magnification of a video file."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from . import _common as c
from ._common import CLIError
from ._io import (
    AV_WRITES,
    check_output_folder,
    read_video,
    require_av,
    write_animation,
)

__all__: list[str] = []

OUTPUTS = (".gif", *AV_WRITES)

DESCRIPTION = """\
Phase-based motion magnification (Wadhwa et al. 2013) of a video file:
steerlens.magnify.phase_based with every one of its options. Small motions in
the temporal band LOW–HIGH Hz come out (1 + ALPHA) times larger. Reads GIF (and
other animations Pillow reads) and, with PyAV (pip install 'steerlens[video]'),
MP4/MOV/MKV/M4V/AVI/WebM; writes .gif or, with PyAV, .mp4/.mov/.mkv (H.264). Frames are
cropped by a pixel to even sides if needed; --max-side shrinks large videos
first (the pyramid is computed on every frame)."""

EPILOG = """\
examples:
  steerlens magnify wave.gif --alpha 10 --low 0.5 --high 3 -o wave_x10.gif
  steerlens magnify clip.mp4 --alpha 20 --low 0.4 --high 1.2 --max-side 256 -o out.mp4
  steerlens magnify clip.gif --alpha 50 --low 1 --high 2 --attenuate --side-by-side -o cmp.gif

exit status: 0 success, 1 error while running (missing or unreadable video,
settings the method refuses, ...), 2 usage error."""


def add_parser(subparsers, parents) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "magnify", parents=parents, help="phase-based motion magnification of a video",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=c.HelpFormatter,
    )
    p.add_argument("video", type=Path, metavar="VIDEO", help="input video (.gif, .mp4, ...)")
    p.add_argument("-o", "--output", required=True, type=c.output_path(OUTPUTS), metavar="OUT",
                   help=f"output video ({', '.join(OUTPUTS)})")
    p.add_argument("--alpha", type=c.number, required=True, help="amplification factor")
    p.add_argument("--low", type=c.positive, required=True, metavar="HZ", help="pass band start")
    p.add_argument("--high", type=c.positive, required=True, metavar="HZ", help="pass band end")
    p.add_argument("--fs", type=c.positive, metavar="FPS",
                   help="frame rate (default: read from the file)")
    g = p.add_argument_group("phase_based options")
    g.add_argument("--temporal-filter", choices=("ideal", "butterworth"), default="ideal",
                   help="default ideal")
    g.add_argument("--sigma", type=c.non_negative, default=2.0,
                   help="amplitude-weighted smoothing in pixels (default 2)")
    g.add_argument("--reference", type=int, default=0, help="reference frame (default 0)")
    g.add_argument("--attenuate", action="store_true",
                   help="clip amplified phase changes to ±--phase-limit")
    g.add_argument("--phase-limit", type=c.positive, default=math.pi / 2, metavar="RAD",
                   help="default π/2")
    g.add_argument("--height", type=c.height, default="auto", metavar="N|auto",
                   help="pyramid scales (default auto)")
    g.add_argument("--order", type=c.integer(1), default=3, help="orientations − 1 (default 3)")
    g.add_argument("--twidth", type=c.integer(1), default=1, help="default 1")
    g.add_argument("--downsample", action="store_true", help="subsample coarse scales")
    g.add_argument("--color", choices=("luminance", "rgb"), default="luminance",
                   help="default luminance")
    g.add_argument("--no-clip", action="store_true", help="do not clamp the output to [0, 1]")
    g = p.add_argument_group("input and output")
    g.add_argument("--max-side", type=c.integer(8), metavar="PX",
                   help="shrink frames so the longer side is at most PX")
    g.add_argument("--max-frames", type=c.integer(4), metavar="N", help="use the first N frames")
    g.add_argument("--side-by-side", action="store_true", help="write input | magnified")
    g.add_argument("--out-fps", type=c.positive, metavar="FPS",
                   help="output frame rate (default: --fs)")
    p.set_defaults(run=run)
    return p


def _prepare(video: torch.Tensor, max_side: int | None) -> torch.Tensor:
    if max_side is not None and max(video.shape[-2:]) > max_side:
        h, w = video.shape[-2:]
        scale = max_side / max(h, w)
        size = (max(8, round(h * scale)), max(8, round(w * scale)))
        video = torch.nn.functional.interpolate(
            video, size=size, mode="bilinear", antialias=True, align_corners=False
        ).clamp(0, 1)
    h, w = video.shape[-2:]
    return video[..., : h - h % 2, : w - w % 2]


def run(args) -> int:
    from .. import magnify

    check_output_folder(args.output)
    if args.output.suffix.lower() != ".gif":
        require_av(f"writing {args.output.suffix}")
    device = c.select_device(args.device)
    c.seed_everything(args.seed)
    stages = c.Stages(["read", "magnify", "write"], args.quiet, "magnify")
    try:
        video, fps = read_video(args.video)
        if args.max_frames is not None:
            video = video[: args.max_frames]
        fs = args.fs or fps
        if fs is None:
            raise CLIError(f"{str(args.video)!r} does not say its frame rate: give --fs FPS")
        video = _prepare(video, args.max_side)
        if min(video.shape[-2:]) < 8:
            raise CLIError(f"the frames are {tuple(video.shape[-2:])} pixels; the pyramid needs ≥ 8")
        stages.next()
        try:
            out = magnify.phase_based(
                video.to(device), args.alpha, args.low, args.high, fs,
                temporal_filter=args.temporal_filter, sigma=args.sigma, reference=args.reference,
                attenuate=args.attenuate, phase_limit=args.phase_limit, height=args.height,
                order=args.order, twidth=args.twidth, downsample=args.downsample,
                color=args.color, clip=not args.no_clip,
            )
        except (ValueError, TypeError) as err:
            raise CLIError(str(err)) from None
        stages.next()
        frames = out.detach().cpu().clamp(0, 1)[None]
        if args.side_by_side:
            frames = torch.cat([video.cpu()[None], frames])
        w, h = write_animation(frames, args.output, None, args.out_fps or fs, 1)
        stages.next()
    finally:
        stages.close()
    c.say(
        args.quiet,
        f"magnified {video.shape[0]} frames of {video.shape[-1]}×{video.shape[-2]} px at "
        f"{fs:.3g} fps, α = {args.alpha:g}, band {args.low:g}–{args.high:g} Hz",
        f"wrote {args.output} ({frames.shape[1]} frames, {w}×{h} px)",
    )
    return c.EXIT_OK
