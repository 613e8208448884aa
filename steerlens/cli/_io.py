"""Files in and out: images (anything Pillow reads), videos (GIF, MP4), strips, tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .._images import tile_uint8, to_uint8_rgb
from ._common import CLIError

__all__: list[str] = []

VIDEO_EXTRA = "video"
#: File extensions PyAV (FFmpeg) reads for ``magnify``; it writes H.264 in the first three.
AV_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm")
AV_WRITES = AV_SUFFIXES[:3]


def _check_readable(path: Path, what: str) -> None:
    if not path.exists():
        raise CLIError(f"{what} {str(path)!r} does not exist")
    if path.is_dir():
        raise CLIError(f"{what} {str(path)!r} is a directory, not a file")


def load_image(path: Path, shape: tuple[int, int, int], fit: str = "crop") -> Tensor:
    """``C×H×W`` float32 in ``[0, 1]``: converted to ``C`` channels, resized to cover ``H×W`` and
    centre-cropped (``fit="crop"``) or stretched to it (``fit="stretch"``)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path).expanduser()
    _check_readable(path, "image")
    try:
        with Image.open(path) as opened:
            opened.load()
            img = ImageOps.exif_transpose(opened) or opened
            img = img.copy()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise CLIError(f"cannot read image {str(path)!r}: {err}") from None
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I") else max(float(array.max()), 1.0)
        img = Image.fromarray(np.clip(array / top * 255 + 0.5, 0, 255).astype(np.uint8))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    channels, height, width = shape
    img = img.convert("L" if channels == 1 else "RGB")
    if fit == "stretch":
        img = img.resize((width, height), Image.LANCZOS)
    elif (img.width, img.height) != (width, height):
        scale = max(width / img.width, height / img.height)
        new = (max(width, round(img.width * scale)), max(height, round(img.height * scale)))
        img = img.resize(new, Image.LANCZOS)
        left, top = (img.width - width) // 2, (img.height - height) // 2
        img = img.crop((left, top, left + width, top + height))
    array = np.asarray(img, dtype=np.float32) / 255.0
    if array.ndim == 2:
        array = array[None]
    else:
        array = array.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(array))


# -- pictures -----------------------------------------------------------------------------


def captioned_frames(frames: Tensor, labels: Sequence[str] | None, scale: int | None) -> list:
    """PIL pictures, one per frame of ``B×K×C×H×W`` (images side by side), captions below."""
    from PIL import Image, ImageDraw

    from .. import plot

    height = frames.shape[-2]
    if scale is None:
        scale = max(1, -(-128 // height))
    pictures = []
    for k in range(frames.shape[1]):
        picture = Image.fromarray(tile_uint8(to_uint8_rgb(f, "frames") for f in frames[:, k]))
        if scale > 1:
            picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
        pictures.append(picture)
    if labels:
        font = plot._caption_font()
        measure = ImageDraw.Draw(pictures[0])
        width = max([pictures[0].width] + [int(measure.textlength(t, font=font)) + 4 for t in labels])
        out = []
        for p, text in zip(pictures, labels, strict=True):
            canvas = Image.new("RGB", (width, p.height + 16), "white")
            canvas.paste(p, ((width - p.width) // 2, 0))
            ImageDraw.Draw(canvas).text((2, p.height + 2), text, fill="black", font=font)
            out.append(canvas)
        pictures = out
    return pictures


def require_av(what: str):
    """Import PyAV, or a one-line error naming the extra that installs it."""
    try:
        import av
    except ImportError:
        raise CLIError(
            f"{what} needs PyAV, which is not installed: pip install 'steerlens[{VIDEO_EXTRA}]' "
            f"(or pip install av)"
        ) from None
    return av


def write_video(pictures: list, path: Path, fps: float) -> None:
    """Encode PIL pictures as H.264 (MPEG-4 part 2 where the FFmpeg build lacks x264)."""
    av = require_av(f"writing {path.suffix}")
    width = max(p.width for p in pictures)
    height = max(p.height for p in pictures)
    width += width % 2  # yuv420p needs even sides
    height += height % 2
    from fractions import Fraction

    rate = Fraction(fps).limit_denominator(1000)
    try:
        container = av.open(str(path), mode="w")
    except Exception as err:  # noqa: BLE001
        raise CLIError(f"cannot write {str(path)!r}: {err}") from None
    try:
        _encode(av, container, pictures, rate, width, height)
    except Exception as err:  # noqa: BLE001 - FFmpeg's errors vary by version and container
        raise CLIError(f"cannot write {str(path)!r}: {err}") from None
    finally:
        container.close()


def _encode(av, container, pictures: list, rate, width: int, height: int) -> None:
    try:
        stream = container.add_stream("libx264", rate=rate)
    except Exception:  # noqa: BLE001 - an FFmpeg build without x264
        stream = container.add_stream("mpeg4", rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    for picture in pictures:
        canvas = np.full((height, width, 3), 255, dtype=np.uint8)
        array = np.asarray(picture.convert("RGB"))
        canvas[: array.shape[0], : array.shape[1]] = array
        frame = av.VideoFrame.from_ndarray(canvas, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def write_animation(frames: Tensor, path: Path, labels, fps: float, scale: int | None) -> tuple:
    """GIF or MP4 of ``B×K×C×H×W`` frames; returns the picture size ``(width, height)``."""
    if path.suffix.lower() == ".gif":
        from PIL import Image

        from .. import plot

        plot.save_gif(frames, path, labels=labels, duration_ms=int(round(1000 / fps)), scale=scale)
        with Image.open(path) as written:
            return written.size
    pictures = captioned_frames(frames, labels, scale)
    write_video(pictures, path, fps)
    return pictures[0].size


def write_table(rows: list[dict], path: Path, record: dict) -> None:
    """``.csv`` (one row per frame) or ``.json`` (``record`` with the rows)."""
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps({**record, "frames": rows}, indent=1))
        return
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def check_output_folder(path: Path) -> None:
    """One clear line when the output's folder does not exist."""
    folder = path.parent
    if not folder.exists():
        raise CLIError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise CLIError(f"cannot write {str(path)!r}: it is a directory")


# -- videos -------------------------------------------------------------------------------


def read_video(path: Path) -> tuple[Tensor, float | None]:
    """``T×C×H×W`` float32 frames (``C`` = 1 when every frame is grey) and the frame rate."""
    path = Path(path).expanduser()
    _check_readable(path, "video")
    if path.suffix.lower() in AV_SUFFIXES:
        arrays, fps = _read_av(path)
    else:
        arrays, fps = _read_pillow(path)
    if len(arrays) == 0:
        raise CLIError(f"video {str(path)!r} has no frames")
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise CLIError(f"the frames of {str(path)!r} differ in size: {sorted(shapes)}")
    video = np.stack(arrays)  # T×H×W×3 uint8
    grey = bool((video[..., 0] == video[..., 1]).all() and (video[..., 1] == video[..., 2]).all())
    if grey:
        video = video[..., :1]
    tensor = torch.from_numpy(np.ascontiguousarray(video.transpose(0, 3, 1, 2))).float() / 255.0
    return tensor, fps


def _read_pillow(path: Path) -> tuple[list[np.ndarray], float | None]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            arrays, durations = [], []
            for frame in ImageSequence.Iterator(img):
                arrays.append(np.asarray(frame.convert("RGB")))
                durations.append(frame.info.get("duration"))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise CLIError(
            f"cannot read video {str(path)!r}: {err} (GIF and other formats Pillow reads; "
            f"MP4 and friends with PyAV: {', '.join(AV_SUFFIXES)})"
        ) from None
    durations = [d for d in durations if d]
    fps = 1000.0 / float(np.median(durations)) if durations else None
    return arrays, fps


def _read_av(path: Path) -> tuple[list[np.ndarray], float | None]:
    av = require_av(f"reading {path.suffix}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise CLIError(f"{str(path)!r} has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            arrays = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    except CLIError:
        raise
    except Exception as err:  # noqa: BLE001 - FFmpeg's errors vary by version
        raise CLIError(f"cannot read video {str(path)!r}: {err}") from None
    return arrays, float(rate) if rate else None
