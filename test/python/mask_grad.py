"""Checks that tokens outside the loss mask get exactly zero gradient (run by test/train/trainer.test.ts)."""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import tiny_model  # noqa: E402
from dpo import preference_loss, sequence_logps  # noqa: E402

model = tiny_model.load(os.path.join(HERE, "..", "..", "fixtures", "tiny-model"))
torch.manual_seed(0)
ids = torch.randint(0, 500, (2, 24))
mask_c = torch.zeros_like(ids)
mask_c[:, 10:] = 1
mask_r = torch.zeros_like(ids)
mask_r[:, 15:18] = 1  # Target-DPO: a few D- tokens only

captured = {}


def capture(module, inputs, output):
    output.retain_grad()
    captured.setdefault("logits", []).append(output)


class Probe(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        out = self.m(x)
        out.retain_grad()
        captured.setdefault("logits", []).append(out)
        return out


probe = Probe(model)
pc, nc = sequence_logps(probe, ids, mask_c)
pr, _ = sequence_logps(probe, ids, mask_r)
loss, _ = preference_loss(pc, pr, torch.zeros(2), torch.zeros(2), 0.1, 1.0, nc)
loss.sum().backward()
g_c, g_r = (t.grad.abs().sum(-1) for t in captured["logits"])
# the logits at position t predict token t+1: a token that does not count leaves its predictor's gradient at 0
assert torch.all(g_c[:, :9] == 0), g_c[:, :9]
assert torch.all(g_c[:, 9:23] > 0)
assert torch.all(g_r[:, :14] == 0) and torch.all(g_r[:, 17:] == 0), g_r
assert torch.all(g_r[:, 14:17] > 0)
print("ok")
