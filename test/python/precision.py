"""Checks, on the model the worker loads (a Hugging Face folder given as argv[1]), that --precision bf16 computes the
logits in bf16 while the weights and their gradients stay fp32, and that --gradient-checkpointing runs every decoder
layer again in the backward pass. Prints one JSON line. Run by test/train/parallel.test.ts."""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from dpo import sequence_logps  # noqa: E402
from models import load_model  # noqa: E402
from parallel import autocast  # noqa: E402


def run(checkpointing):
    model = load_model(sys.argv[1], torch.device("cpu"), gradient_checkpointing=checkpointing)
    model.train()
    calls = {"layers": 0}
    for layer in model.layers():  # a wrapped forward, since module hooks do not see the recomputation
        def counted(*a, _forward=layer.forward, **k):
            calls["layers"] += 1
            return _forward(*a, **k)

        layer.forward = counted
    dtypes = []
    model.register_forward_hook(lambda _m, _i, out: dtypes.append(str(out.dtype)))
    ids = torch.randint(0, 500, (2, 16))
    with autocast(torch.device("cpu"), "ddp", True):
        logp, _ = sequence_logps(model, ids, torch.ones_like(ids))
    logp.sum().backward()
    p = next(model.parameters())
    return {"layer_calls": calls["layers"], "layers": len(model.layers()), "logits": dtypes[0],
            "weights": str(p.dtype), "grads": str(p.grad.dtype)}


print(json.dumps({"plain": run(False), "checkpointing": run(True)}))
