"""Reference log-probs with PyTorch, for `structflow ref-logps` on a model without an ONNX export (any Hugging Face
causal LM folder, or the built-in tiny model with --engine torch).

Input (stdin): one JSON line per pair, a list of sides [{"ids": [...], "mask": [...]}, ...].
Output (stdout): one JSON line per input line, the sides' summed log-probs of their counted tokens, in order.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dpo import pad, sequence_logps  # noqa: E402
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
        ids, mask = (pad([s[k] for s in sides], device) for k in ("ids", "mask"))
        with torch.no_grad(), autocast(device, "ddp", args.precision == "bf16"):
            logps, _ = sequence_logps(model, ids, mask)
        sys.stdout.write(json.dumps(logps.float().cpu().tolist()) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
