"""Writes fixtures/tiny-model/: a byte-level BPE tokenizer.json learned from the fixture solutions and a
tiny causal LM trained on them for a few hundred steps, saved for PyTorch (model.pt) and as ONNX.

Run: .venv/bin/python python/make_tiny_model.py   (the project venv: bash python/setup-venv.sh)
Deterministic for its seed. The files are small and committed, so tests need no PyTorch to load them.
"""

import collections
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_model import TinyLM  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "tiny-model")
SPECIAL = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|im_start|>", "<|im_end|>"]
MERGES = 300


def bytes_to_unicode():
    """GPT-2's reversible map of the 256 bytes to printable characters (the ByteLevel pre-tokenizer's)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def corpus():
    texts = []
    with open(os.path.join(ROOT, "fixtures", "apps.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            texts.append(row["question"])
            texts.extend(json.loads(row["solutions"]))
    return texts


def learn_bpe(texts, b2u):
    import re

    # the ByteLevel pre-tokenizer's split (GPT-2 pattern), applied to learn merges within words only
    pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")
    words = collections.Counter()
    for t in texts:
        for w in pat.findall(t):
            words[tuple(b2u[b] for b in w.encode("utf-8"))] += 1
    merges = []
    for _ in range(MERGES):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append((a, b))
        new = collections.Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] += c
        words = new
    return merges


def main():
    torch.manual_seed(1234)
    os.makedirs(OUT, exist_ok=True)
    b2u = bytes_to_unicode()
    texts = corpus()
    merges = learn_bpe(texts, b2u)
    vocab = {}
    for ch in sorted(b2u.values(), key=lambda c: ord(c)):
        vocab[ch] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = []
    for s in SPECIAL:
        added.append({"id": len(vocab), "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True})
        vocab[s] = len(vocab)
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    with open(os.path.join(OUT, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(OUT, "tokenizer_config.json"), "w") as f:
        json.dump({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "model_max_length": 2048, "clean_up_tokenization_spaces": False}, f)

    # train briefly on the fixture code, tokenized with the same merges (greedy BPE in Python, build time only)
    ranks = {m: i for i, m in enumerate(merges)}
    import re
    pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")

    def encode(text):
        ids = []
        for w in pat.findall(text):
            parts = [b2u[b] for b in w.encode("utf-8")]
            while len(parts) > 1:
                best = min(((ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))))
                if best[0] == 1 << 30:
                    break
                i = best[1]
                parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
            ids.extend(vocab[p] for p in parts)
        return ids

    eos = vocab["<|endoftext|>"]
    stream = []
    for t in texts:
        stream.extend(encode(t) + [eos])
    data = torch.tensor(stream)
    model = TinyLM(len(vocab))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    ctx = 128
    for step in range(300):
        idx = torch.randint(0, len(data) - ctx - 1, (16,))
        x = torch.stack([data[i:i + ctx] for i in idx])
        y = torch.stack([data[i + 1:i + ctx + 1] for i in idx])
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"vocab {len(vocab)}, merges {len(merges)}, tokens {len(stream)}, final loss {loss.item():.3f}")
    model.eval()
    torch.save(model.state_dict(), os.path.join(OUT, "model.pt"))
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump({**model.config, "eos_token_id": eos, "fim": {"prefix": "<|fim_prefix|>", "suffix": "<|fim_suffix|>", "middle": "<|fim_middle|>"}}, f, indent=2)
    example = torch.tensor([encode("def f(x):\n    return x\n")])
    torch.onnx.export(model, (example,), os.path.join(OUT, "model.onnx"), input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}, opset_version=14)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
