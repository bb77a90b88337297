"""The tiny causal language model StructFlow's tests use: small enough to build, train and run on a CPU
in seconds, real enough that the ONNX loading, sampling and training code paths all run on it."""

import json
import os

import torch
import torch.utils.checkpoint
from torch import nn


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + a
        return x + self.mlp(self.ln2(x))


class TinyLM(nn.Module):
    """GPT-style decoder: token + position embeddings, pre-norm blocks, tied output projection."""

    def __init__(self, vocab_size, d_model=48, n_layers=2, n_heads=4, max_positions=2048):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, d_model=d_model, n_layers=n_layers, n_heads=n_heads, max_positions=max_positions)
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_positions, d_model)
        self.blocks = nn.ModuleList([Block(d_model, n_heads) for _ in range(n_layers)])
        self.ln = nn.LayerNorm(d_model)
        self.recompute = False

    def layers(self):
        return list(self.blocks)

    def checkpointing(self):
        self.recompute = True

    def forward(self, input_ids):
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.tok(input_ids) + self.pos(pos)
        mask = torch.triu(torch.full((t, t), float("-inf"), device=input_ids.device), diagonal=1)
        for b in self.blocks:
            if self.recompute and self.training:
                x = torch.utils.checkpoint.checkpoint(b, x, mask, use_reentrant=False)
            else:
                x = b(x, mask)
        return self.ln(x) @ self.tok.weight.T  # logits [batch, seq, vocab]


def load(model_dir, device="cpu"):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    model = TinyLM(**{k: cfg[k] for k in ("vocab_size", "d_model", "n_layers", "n_heads", "max_positions")})
    model.load_state_dict(torch.load(os.path.join(model_dir, "model.pt"), map_location=device))
    return model.to(device)
