"""Reference log-probs with PyTorch, for `structflow ref-logps` on a model without an ONNX export (any Hugging Face
causal LM folder, or the built-in tiny model with --engine torch).

Input (stdin): one JSON line per pair, a list of sides [{"ids": [...], "mask": [...]}, ...].
Output (stdout): one JSON line per input line, the sides' summed log-probs of their counted tokens, in order.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dpo import sequence_logps  # noqa: E402
from models import load_model  # noqa: E402
from parallel import autocast  # noqa: E402


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--model", required=True)
    a.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    args = a.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_model(args.model, device).eval()
    for line in sys.stdin:
        sides = json.loads(line)
        n = max(len(s["ids"]) for s in sides)
        ids = torch.zeros((len(sides), n), dtype=torch.long)
        mask = torch.zeros((len(sides), n), dtype=torch.long)
        for i, s in enumerate(sides):  # right padding: a causal model's earlier positions never see it
            ids[i, :len(s["ids"])] = torch.from_numpy(np.asarray(s["ids"], dtype=np.int64))
            mask[i, :len(s["mask"])] = torch.from_numpy(np.asarray(s["mask"], dtype=np.int64))
        with torch.no_grad(), autocast(device, "ddp", args.precision == "bf16"):
            logps, _ = sequence_logps(model, ids.to(device), mask.to(device))
        sys.stdout.write(json.dumps(logps.float().cpu().tolist()) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
