"""Training losses: DPO, Target-DPO (the mask does the focusing) and Target-RPO (docs/training.md)."""

import numpy as np
import torch
import torch.nn.functional as F


def pad(rows, device="cpu"):
    """Token-id rows (lists or arrays) as one [batch, longest] tensor, zero-padded on the right: a causal
    model's earlier positions never see the padding, and a zero mask keeps it out of the sums."""
    out = torch.zeros((len(rows), max(len(r) for r in rows)), dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, :len(r)] = torch.from_numpy(np.asarray(r, dtype=np.int64))
    return out.to(device)


def sequence_logps(model, ids, mask):
    """Sum of log-probabilities of the counted tokens of each row (no length normalisation).

    ids, mask: [batch, seq]; mask[t] says whether token t counts (it is predicted from position t-1).
    Returns (sum of logps [batch], number of counted tokens [batch]).
    """
    logits = model(ids)[:, :-1].float()
    targets = ids[:, 1:]
    m = mask[:, 1:].float()
    logp = torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (logp * m).sum(-1), m.sum(-1)


def preference_loss(pc, pr, rc, rr, beta, alpha=0.0, chosen_tokens=None):
    """-log sigmoid(beta * ((pc - pr) - (rc - rr))), plus alpha * mean NLL of the chosen tokens (RPO).

    Returns (loss per pair, reward margin per pair).
    """
    margin = beta * ((pc - rc) - (pr - rr))
    loss = -F.logsigmoid(margin)
    if alpha:
        loss = loss + alpha * (-pc / chosen_tokens.clamp(min=1))
    return loss, margin
