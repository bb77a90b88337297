"""Prints the largest absolute difference between the model parameters of two trainer checkpoints (state.pt), by
name; exits 1 if their parameter names differ. Run by test/train/parallel.test.ts."""

import sys

import torch

a, b = (torch.load(p, map_location="cpu")["model"] for p in sys.argv[1:3])
if sorted(a) != sorted(b):
    sys.exit(f"different parameters: {sorted(set(a) ^ set(b))}")
print(max((a[k].float() - b[k].float()).abs().max().item() for k in a))
