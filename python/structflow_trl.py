"""StructFlow shards into TRL: the rows of an output folder as a `datasets.Dataset` in manifest order, and a
`DPOTrainer` that trains on `--trl pretokenized` rows as they are.

    from structflow_trl import load_shards, ShardsDPOTrainer
    ds = load_shards("out/")                       # manifest order = curriculum order
    args = DPOConfig(..., train_sampling_strategy="sequential")   # transformers' no-shuffle setting
    ShardsDPOTrainer(model=model, args=args, train_dataset=ds, processing_class=tokenizer).train()

Why a subclass (TRL 1.13): `DPOTrainer` tokenizes `prompt`/`chosen`/`rejected` text itself, always, so rows that
already carry `prompt_ids`/`chosen_ids`/`rejected_ids` (the StructFlow trainer's own FIM or chat examples) would be
re-tokenized from text they do not have; and with `precompute_ref_log_probs=True` it always runs the reference
model over the dataset at start-up, even when the rows carry `ref_chosen_logps`/`ref_rejected_logps` already. Its
collator and loss do accept both; the subclass skips those two steps when the columns are there.
"""

import json
import os

from trl import DPOTrainer


def load_shards(out_dir):
    """The output folder's rows, shards in manifest order (`datasets` keeps the order of `data_files`)."""
    from datasets import load_dataset

    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)
    files = [os.path.join(out_dir, s["file"]) for s in manifest["shards"]]
    return load_dataset("parquet", data_files=files, split="train")


class ShardsDPOTrainer(DPOTrainer):
    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        if "prompt_ids" in dataset.column_names:
            return dataset  # tokenized by StructFlow, as its own trainer sees the pair
        return super()._prepare_dataset(dataset, processing_class, args, dataset_name)

    def _precompute_ref_logps(self, dataset, name, batch_size):
        if "ref_chosen_logps" in dataset.column_names:
            return dataset  # reference log-probs came with the rows
        return super()._precompute_ref_logps(dataset, name, batch_size)
