"""StructFlow's PyTorch trainer worker: DPO / Target-DPO / Target-RPO on batches streamed from the
TypeScript `train` operator, in the order they come (never shuffled).

Input (stdin), one frame per micro-batch: u32 little-endian header length, the JSON header
({"pairs": [{"index", "chosen_len", "rejected_len", "ref": [rc, rr] | null}], "next_position"}), then
u32 payload length and the payload: for each pair, chosen ids, chosen mask, rejected ids, rejected mask,
as little-endian int32 arrays. A header length of 0 ends the stream.
Output (stdout): one JSON line per optimizer step ({"event": "step", ...}) and a final {"event": "done"}.
With torchrun (WORLD_SIZE > 1) every rank reads the same stream and takes an interleaved slice of each
micro-batch (pair i goes to rank i % world), so the global order is kept; gradients are averaged by DDP, or
reduce-scattered by FSDP2 (`--parallel fsdp`, parameters sharded across the ranks).
"""

import argparse
import copy
import hashlib
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dpo import pad, preference_loss, sequence_logps  # noqa: E402
from models import load_model  # noqa: E402
from parallel import autocast, barrier, full_state, load_full_state, wrap  # noqa: E402

PRESET_BETA = {"structurecoder": 0.5, "targetdpo": 0.1}


def read_exact(stream, n):
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def frames(stream):
    while True:
        raw = read_exact(stream, 4)
        if raw is None:
            return
        (hlen,) = struct.unpack("<I", raw)
        if hlen == 0:
            return
        header = json.loads(read_exact(stream, hlen))
        (plen,) = struct.unpack("<I", read_exact(stream, 4))
        payload = np.frombuffer(read_exact(stream, plen), dtype="<i4")
        pairs, at = [], 0
        for p in header["pairs"]:
            c, r = p["chosen_len"], p["rejected_len"]
            pairs.append({**p, "c_ids": payload[at:at + c], "c_mask": payload[at + c:at + 2 * c],
                          "r_ids": payload[at + 2 * c:at + 2 * c + r], "r_mask": payload[at + 2 * c + r:at + 2 * c + 2 * r]})
            at += 2 * c + 2 * r
        yield header, pairs


def lr_factor(step, total, warmup_ratio, min_ratio=0.1):
    """Linear warm-up, then cosine down to min_ratio of the peak (the reference's cosine_with_min_lr)."""
    warm = max(1, int(total * warmup_ratio))
    if step < warm:
        return (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - warm))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def save_checkpoint(path, model, opt, sched, step, position, rank, world):
    """Every rank takes part (FSDP gathers the shards); rank 0 writes, then swaps the folder in atomically."""
    model_sd, opt_sd = full_state(model, opt)
    if rank == 0:
        tmp = path + ".tmp"
        os.makedirs(tmp, exist_ok=True)
        torch.save({"model": model_sd, "opt": opt_sd, "sched": sched.state_dict(), "step": step}, os.path.join(tmp, "state.pt"))
        with open(os.path.join(tmp, "position.json"), "w") as f:
            json.dump({"step": step, "position": position}, f)
        if os.path.exists(path):
            os.rename(path, path + ".old")
        os.rename(tmp, path)
        if os.path.exists(path + ".old"):
            import shutil

            shutil.rmtree(path + ".old")
    barrier(world)
    return model_sd


def local_bytes(*modules):
    """Bytes of parameters this rank holds (its shards only, under FSDP)."""
    n = 0
    for m in modules:
        for p in m.parameters():
            t = p.to_local() if hasattr(p, "to_local") else p
            n += t.numel() * t.element_size()
    return n


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--model", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--loss", choices=["dpo", "target-dpo", "target-rpo"], default="dpo")
    a.add_argument("--preset", choices=list(PRESET_BETA), default="structurecoder")
    a.add_argument("--beta", type=float)
    a.add_argument("--alpha", type=float, default=1.0)
    a.add_argument("--lr", type=float, default=1e-6)
    a.add_argument("--optimizer", choices=["rmsprop", "adamw"], default="rmsprop")
    a.add_argument("--warmup-ratio", type=float, default=0.05)
    a.add_argument("--total-steps", type=int, required=True)
    a.add_argument("--grad-accum", type=int, default=1)
    a.add_argument("--checkpoint-every", type=int, default=0)
    a.add_argument("--resume", action="store_true")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--log-order")
    a.add_argument("--input", help="read the batch stream from this file (written by structflow train --export-batches) instead of stdin")
    a.add_argument("--parallel", choices=["ddp", "fsdp"], default="ddp", help="with torchrun: replicate (ddp) or shard (fsdp) the model")
    a.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="bf16: bf16 compute over fp32 master weights")
    a.add_argument("--gradient-checkpointing", action="store_true", help="recompute each decoder layer in the backward pass")
    a.add_argument("--export", help="write the trained model here at the end, as a standard folder (python/export_model.py)")
    a.add_argument("--reference", choices=["model", "precomputed"], default="model",
                   help="precomputed: every pair carries reference log-probs, so no reference model is loaded")
    args = a.parse_args()

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if world > 1:
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    bf16 = args.precision == "bf16"
    policy = load_model(args.model, device, args.gradient_checkpointing)
    reference = None
    if args.reference == "model":
        reference = copy.deepcopy(policy).eval()  # the initial model, also on resume
        for p in reference.parameters():
            p.requires_grad_(False)
        if args.parallel == "fsdp":
            reference = wrap(reference, "fsdp", world, bf16)
    model = wrap(policy, args.parallel, world, bf16)
    beta = args.beta if args.beta is not None else PRESET_BETA[args.preset]
    alpha = args.alpha if args.loss == "target-rpo" else 0.0
    opt_cls = torch.optim.RMSprop if args.optimizer == "rmsprop" else torch.optim.AdamW
    opt = opt_cls(policy.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, args.total_steps, args.warmup_ratio))
    ckpt = os.path.join(args.out, "checkpoint")
    step = 0
    skip_to = 0
    if args.resume and os.path.exists(os.path.join(ckpt, "state.pt")):
        state = torch.load(os.path.join(ckpt, "state.pt"), map_location="cpu")
        load_full_state(policy, opt, state["model"], state["opt"])
        sched.load_state_dict(state["sched"])
        step = state["step"]
        with open(os.path.join(ckpt, "position.json")) as f:
            skip_to = json.load(f)["position"]
    held = local_bytes(policy, *([reference] if reference is not None else []))
    order = open(args.log_order, "a") if args.log_order and rank == 0 else None
    out = sys.stdout
    micro = 0
    acc = {"loss": 0.0, "margin": 0.0, "correct": 0, "pairs": 0, "tokens": 0}
    t0 = time.time()
    position = skip_to
    ref_passes = 0
    # from a file, the worker skips what a resumed run already trained; from stdin, the sender did
    source = open(args.input, "rb") if args.input else sys.stdin.buffer
    for header, pairs in frames(source) if step < args.total_steps else ():
        position = header["next_position"]
        if args.input and position <= skip_to:
            continue
        if order:
            order.write("".join(f"{p['index']}\n" for p in pairs))
            order.flush()
        mine, weight = pairs[rank::world], 1.0
        if not mine:  # every rank must take part in the collectives: a zero-weight pass
            mine, weight = pairs[:1], 0.0
        c_ids, c_mask = pad([p["c_ids"] for p in mine], device), pad([p["c_mask"] for p in mine], device)
        r_ids, r_mask = pad([p["r_ids"] for p in mine], device), pad([p["r_mask"] for p in mine], device)
        with autocast(device, args.parallel, bf16):
            pc, nc = sequence_logps(model, c_ids, c_mask)
            pr, _ = sequence_logps(model, r_ids, r_mask)
            if all(p.get("ref") is not None for p in mine):  # precomputed reference log-probs (ONNX)
                refs = torch.tensor([p["ref"] for p in mine], dtype=torch.float32, device=device)
                rc, rr = refs[:, 0], refs[:, 1]
            elif reference is None:
                sys.exit(f"pair {mine[0]['index']} has no precomputed reference log-probs and --reference precomputed loaded no reference model")
            else:
                ref_passes += 1
                with torch.no_grad():
                    rc, _ = sequence_logps(reference, c_ids, c_mask)
                    rr, _ = sequence_logps(reference, r_ids, r_mask)
        loss, margin = preference_loss(pc, pr, rc, rr, beta, alpha, nc)
        (loss.sum() * weight / (len(pairs) * args.grad_accum) * world).backward()
        if weight:
            acc["loss"] += loss.sum().item()
            acc["margin"] += margin.sum().item()
            acc["correct"] += int((margin > 0).sum().item())
            acc["pairs"] += len(mine)
            acc["tokens"] += int(c_ids.numel() + r_ids.numel())
        micro += 1
        if micro % args.grad_accum == 0:
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            stats = torch.tensor([acc["loss"], acc["margin"], acc["correct"], acc["pairs"], acc["tokens"]], dtype=torch.float64)
            if world > 1:  # the step's metrics over all ranks' pairs
                torch.distributed.all_reduce(stats)
            loss_sum, margin_sum, correct, n_pairs, tokens = stats.tolist()
            dt = max(time.time() - t0, 1e-9)
            n = max(n_pairs, 1)
            if rank == 0:
                out.write(json.dumps({"event": "step", "step": step, "loss": loss_sum / n, "margin": margin_sum / n,
                                      "accuracy": correct / n, "pairs": int(n_pairs), "pairs_per_s": n_pairs / dt,
                                      "tokens_per_s": tokens / dt, "lr": sched.get_last_lr()[0], "position": position}) + "\n")
                out.flush()
            if args.checkpoint_every and step % args.checkpoint_every == 0:
                save_checkpoint(ckpt, policy, opt, sched, step, position, rank, world)
            acc = {"loss": 0.0, "margin": 0.0, "correct": 0, "pairs": 0, "tokens": 0}
            t0 = time.time()
            if step >= args.total_steps:
                break
    final = save_checkpoint(ckpt, policy, opt, sched, step, position, rank, world)
    if rank == 0 and args.export:
        import export_model

        export_model.export(args.model, final, args.export)
    if rank == 0:
        h = hashlib.sha256()
        for name, t in sorted(final.items()):
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
        out.write(json.dumps({"event": "done", "step": step, "param_checksum": h.hexdigest(), "reference_passes": ref_passes,
                              "reference_model": reference is not None, "param_bytes_per_rank": held,
                              "parallel": args.parallel if world > 1 else "none", "world": world}) + "\n")
        out.flush()
    if world > 1:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
