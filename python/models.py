"""Loading the model to train: the built-in tiny model (fixtures/tiny-model, model.pt) or any Hugging Face causal
LM folder (config.json + weights). Both come back as a module mapping input ids [batch, seq] to logits, with
`layers()` naming the decoder layers (what FSDP shards and gradient checkpointing recomputes)."""

import os
import sys

import torch


class HFCausalLM(torch.nn.Module):
    """A transformers model behind the worker's one-argument forward (ids → logits)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, ids):
        return self.m(input_ids=ids, use_cache=False).logits

    def layers(self):
        return list(self.m.model.layers)

    def checkpointing(self):
        # non-reentrant: works under FSDP2 and with inputs that need no grad (the ids)
        self.m.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def load_model(path, device, gradient_checkpointing=False):
    """Weights stay fp32 (the optimizer's master copy); bf16 compute is autocast's or FSDP's job."""
    if os.path.exists(os.path.join(path, "model.pt")):
        import tiny_model

        model = tiny_model.load(path, device)
    else:
        try:
            from transformers import AutoModelForCausalLM
            from transformers.utils import logging

            logging.disable_progress_bar()  # the worker's stderr is for errors
        except ImportError:
            sys.exit(f"{path} is a Hugging Face model and transformers is missing: bash python/setup-venv.sh (npm ci runs it)")
        model = HFCausalLM(AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="sdpa")).to(device)
    if gradient_checkpointing:
        model.checkpointing()
    return model


def make_tiny_qwen2(out, tokenizer_dir, seed=0, hidden=64, layers=2):
    """A tiny Qwen2ForCausalLM from config (no download) with the project's tokenizer, for tests and examples."""
    import json
    import shutil

    from transformers import Qwen2Config, Qwen2ForCausalLM

    with open(os.path.join(tokenizer_dir, "tokenizer.json")) as f:
        tok = json.load(f)
    vocab = len(tok["model"]["vocab"]) + sum(1 for t in tok["added_tokens"] if t["content"] not in tok["model"]["vocab"])
    eos = next(t["id"] for t in tok["added_tokens"] if t["content"] == "<|endoftext|>")
    config = Qwen2Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         tie_word_embeddings=True, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
    torch.manual_seed(seed)
    Qwen2ForCausalLM(config).save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_dir, name), os.path.join(out, name))
    return out


if __name__ == "__main__":
    # python python/models.py tiny-qwen2 OUT [TOKENIZER_DIR] [SEED]
    if len(sys.argv) < 3 or sys.argv[1] != "tiny-qwen2":
        sys.exit("usage: python python/models.py tiny-qwen2 OUT [TOKENIZER_DIR] [SEED]")
    here = os.path.dirname(os.path.abspath(__file__))
    tok_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "fixtures", "tiny-model")
    print(make_tiny_qwen2(sys.argv[2], tok_dir, int(sys.argv[4]) if len(sys.argv) > 4 else 0))
