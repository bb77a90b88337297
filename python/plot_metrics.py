"""Plots a training run's metrics.jsonl (loss, reward margin, reward accuracy per step) to a PNG."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(metrics_path, png_path):
    steps = [json.loads(l) for l in open(metrics_path) if l.strip()]
    steps = [s for s in steps if s.get("event") == "step"]
    x = [s["step"] for s in steps]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, key, title in zip(axes, ("loss", "margin", "accuracy"), ("DPO loss", "reward margin", "reward accuracy")):
        ax.plot(x, [s[key] for s in steps], lw=1.2)
        ax.set_title(title)
        ax.set_xlabel("optimizer step")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
