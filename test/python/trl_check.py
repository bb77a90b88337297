"""TRL's DPOTrainer on StructFlow shards (`--trl pretokenized`): the order it trains in, its DPO loss against ours on
the same pair and models, and training from the rows' own reference log-probs. Prints one JSON line.

argv: SHARDS_DIR POLICY_DIR REFERENCE_DIR WORK_DIR. Run by test/train/trl.test.ts."""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from dpo import pad, preference_loss, sequence_logps  # noqa: E402
from models import HFCausalLM  # noqa: E402
from structflow_trl import ShardsDPOTrainer, load_shards  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from trl import DPOConfig  # noqa: E402

shards, policy_dir, ref_dir, work = sys.argv[1:5]
BETA, BATCH, STEPS = 0.5, 2, 4
# each row's position in manifest order rides along (kept by remove_unused_columns=False), to see what TRL sees
ds = load_shards(shards)
ds = ds.add_column("row", list(range(len(ds))))
tok = AutoTokenizer.from_pretrained(policy_dir)


def config(name, **kw):
    return DPOConfig(output_dir=os.path.join(work, name), per_device_train_batch_size=BATCH, max_steps=STEPS, learning_rate=1e-3,
                     beta=BETA, max_length=None, train_sampling_strategy="sequential", report_to="none", logging_steps=1,
                     save_strategy="no", use_cpu=True, seed=0, disable_tqdm=True, remove_unused_columns=False,
                     bf16=False, **kw)  # DPOConfig defaults to bf16: fp32 here, to compare losses at 1e-4


def model(path):
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)


def trainer_seeing(seen, **kw):
    t = ShardsDPOTrainer(processing_class=tok, **kw)
    collate = t.data_collator

    def recording(examples):
        seen.extend((e["row"], e["prompt_ids"]) for e in examples)
        return collate(examples)

    t.data_collator = recording
    return t


def our_logps(m, rows, side):
    ids = pad([r["prompt_ids"] + r[f"{side}_ids"] for r in rows])
    mask = pad([[0] * len(r["prompt_ids"]) + [1] * len(r[f"{side}_ids"]) for r in rows])
    with torch.no_grad():
        return sequence_logps(HFCausalLM(m).eval(), ids, mask)[0]


# 1. with a reference model: the order TRL trains in, and its loss on the first batch against ours
seen = []
policy, reference = model(policy_dir), model(ref_dir)
t = trainer_seeing(seen, model=policy, ref_model=reference, args=config("with-ref"), train_dataset=ds)
rows = [ds[i] for i in range(BATCH)]
with torch.no_grad():
    trl_loss = t.compute_loss(policy.eval(), t.data_collator(rows)).item()
seen.clear()
ours = preference_loss(our_logps(policy, rows, "chosen"), our_logps(policy, rows, "rejected"),
                       our_logps(reference, rows, "chosen"), our_logps(reference, rows, "rejected"), BETA)[0].mean().item()
policy.train()
t.train()
with_ref = [h["loss"] for h in t.state.log_history if "loss" in h]
order = [row for row, _ in seen]
prompts = [ids for _, ids in seen[:BATCH * STEPS]]

# 2. reference log-probs carried by the rows (what a precompute writes), no reference model in memory
reference = model(ref_dir)
small = ds.select(range(BATCH * STEPS))
small = small.add_column("ref_chosen_logps", our_logps(reference, list(small), "chosen").tolist())
small = small.add_column("ref_rejected_logps", our_logps(reference, list(small), "rejected").tolist())
del reference
seen.clear()
t2 = trainer_seeing(seen, model=model(policy_dir), args=config("precomputed", precompute_ref_log_probs=True), train_dataset=small)
t2.train()
print(json.dumps({"trl_loss": trl_loss, "our_loss": ours, "order": order, "losses_with_reference": with_ref,
                  "losses_precomputed": [h["loss"] for h in t2.state.log_history if "loss" in h],
                  "reference_model_loaded": t2.ref_model is not None, "order_precomputed": [row for row, _ in seen],
                  "prompt_ids_seen": prompts}))
