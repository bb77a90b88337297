"""Data parallelism for the trainer worker: DDP (every rank holds the whole model) or FSDP2 (`fully_shard`: each
rank holds 1/world of the parameters, gradients and optimizer state, gathered one decoder layer at a time), and
checkpoints that do not depend on which: full, unsharded state dicts keyed by parameter name, so a run saved on
N ranks resumes on M."""

import torch
import torch.distributed as dist
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict, set_state_dict


def wrap(model, mode, world, bf16):
    """The module to run forward/backward on. `bf16` under FSDP: parameters gathered in bf16 for compute, gradients
    reduced in fp32 onto fp32 shards (the master copy). Under DDP or one rank, bf16 is autocast's (see `autocast`)."""
    if mode == "fsdp":
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32) if bf16 else MixedPrecisionPolicy()
        for block in model.layers():
            fully_shard(block, mp_policy=mp)
        fully_shard(model, mp_policy=mp)
        return model
    if world > 1:
        return torch.nn.parallel.DistributedDataParallel(model)
    return model


def autocast(device, mode, bf16):
    """bf16 autocast where FSDP does not already cast the parameters."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16 and mode != "fsdp")


def full_state(model, opt):
    """(model, optimizer) state dicts, unsharded, on the CPU. A collective under FSDP: every rank calls it."""
    return get_state_dict(model, opt, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def load_full_state(model, opt, model_sd, opt_sd):
    set_state_dict(model, opt, model_state_dict=model_sd, optim_state_dict=opt_sd,
                   options=StateDictOptions(full_state_dict=True))


def barrier(world):
    if world > 1:
        dist.barrier()
