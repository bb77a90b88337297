"""Writes a trained policy as a standard model folder that needs nothing of StructFlow to load.

A Hugging Face model: config.json, model.safetensors, generation_config.json and the tokenizer files, as
`save_pretrained` writes them (transformers' `from_pretrained` and vLLM load it as it is). The built-in tiny
model: its config.json, model.pt, tokenizer files and model.onnx, so that the next run can generate with it
(`--generator onnx --model-dir DIR`, `structflow eval --model-dir DIR`).

The trainer calls `export` at the end of a training (rank 0, with the full state dict FSDP gathered once).
From any checkpoint, on request:
    .venv/bin/python python/export_model.py --checkpoint OUT/checkpoint --model SOURCE_MODEL --out DIR
"""

import argparse
import os
import shutil
import sys

import torch

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt")


def export(source, state_dict, out):
    """`source`: the folder of the model that was trained (its config and tokenizer); `state_dict`: its trained
    weights (full, keys as the trainer's module names them). The folder appears whole or not at all."""
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    if os.path.exists(os.path.join(source, "model.pt")):
        import tiny_model

        shutil.copy(os.path.join(source, "config.json"), os.path.join(tmp, "config.json"))
        torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, os.path.join(tmp, "model.pt"))
        model = tiny_model.load(tmp).eval()  # what was just written, loaded as a user would
        # torch.export's exporter: the TorchScript one bakes the traced length into nn.MultiheadAttention's reshapes
        from torch.export import Dim

        longest = model.config["max_positions"]
        torch.onnx.export(model, (torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]]),), os.path.join(tmp, "model.onnx"),
                          input_names=["input_ids"], output_names=["logits"], dynamo=True, external_data=False,
                          dynamic_shapes={"input_ids": {0: Dim("batch", min=1, max=1024), 1: Dim("seq", min=1, max=longest)}},
                          opset_version=18, verbose=False)
    else:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
        # the worker wraps a Hugging Face model as `m`
        model.load_state_dict({k[2:] if k.startswith("m.") else k: v.detach().cpu() for k, v in state_dict.items()})
        model.save_pretrained(tmp, safe_serialization=True)
    for name in TOKENIZER_FILES:
        if os.path.exists(os.path.join(source, name)):
            shutil.copy(os.path.join(source, name), os.path.join(tmp, name))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    return out


def main():
    a = argparse.ArgumentParser(description="export a trainer checkpoint as a model folder")
    a.add_argument("--checkpoint", required=True, help="a training's checkpoint folder (OUT/checkpoint, with state.pt)")
    a.add_argument("--model", required=True, help="the folder of the model that was trained")
    a.add_argument("--out", required=True)
    args = a.parse_args()
    state = torch.load(os.path.join(args.checkpoint, "state.pt"), map_location="cpu")
    print(export(args.model, state["model"], args.out))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
