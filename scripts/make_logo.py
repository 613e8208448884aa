"""Draw the book's logo (book/images/logo.png): a complex Gabor patch, phase as hue."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

n = 256
y, x = np.mgrid[-1:1:n * 1j, -1:1:n * 1j]
theta = np.pi / 5
u = x * np.cos(theta) + y * np.sin(theta)
envelope = np.exp(-(x**2 + y**2) / (2 * 0.38**2))
phase = (2 * np.pi * 3.0 * u) % (2 * np.pi)
hsv = np.stack([phase / (2 * np.pi), 0.75 * np.ones_like(u), envelope], -1)
rgb = matplotlib.colors.hsv_to_rgb(hsv)
alpha = np.clip(envelope * 1.6, 0, 1)
out = Path(__file__).resolve().parents[1] / "book" / "images" / "logo.png"
out.parent.mkdir(parents=True, exist_ok=True)
plt.imsave(out, np.concatenate([rgb, alpha[..., None]], -1))
print(out)
