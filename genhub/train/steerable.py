"""Steerable generators: fine-tune a class-conditional GAN jointly with its latent walks (Jahanian, Chai & Isola
2019, sec. 4.2 "improving steerability": data augmentation by the edits and joint optimisation of G and w).

Per batch, with x real, z ~ N(0, I) truncated, a random edit e and alpha per chunk of the batch:

    walked   = G(z + a * w_e, y)                            a = walk_step(e, alpha), |w_e| = WALK_LENGTH (fixed)
    target   = edit_e(G(z, y), alpha)  (no gradient)        mask = in-frame pixels of the edit
    L_walk   = sum ||mask (walked - target)||^2 / sum ||mask (G(z) - target)||^2   relative to not moving
    (1) cost network: L_C over real [x, edit_e(x, alpha)] against generated [G(z), walked]
    (2) generator and walks: L_G over [G(z), walked] + lambda_walk * L_walk

The edited real images keep the steered outputs inside the adversarial game, so they stay sharp (an L2 target
alone regresses to the mean); the unedited half keeps the unsteered samples centred and upright. The generator's
weights are averaged (EMA, torch.optim.swa_utils) and the average is what is saved.
"""

from __future__ import annotations

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from ..models.ebgan import truncated_normal
from ..models.walks import EDITS, Walks, WalksConfig, edit_images, walk_step

WALK_LENGTH = 6.0  # |w_e| in latent units (|z| ~ 8 for d = 64): edited latents are atypical, plain z are left alone


def initial_walks(latent_dim: int, generator_name: str, seed: int) -> Walks:
    """Orthogonal random directions of length WALK_LENGTH, one per edit."""
    walks = Walks(WalksConfig(latent_dim=latent_dim, generator_name=generator_name))
    q, _ = torch.linalg.qr(
        torch.randn(latent_dim, len(walks.config.edits), generator=torch.Generator().manual_seed(seed))
    )
    with torch.no_grad():
        walks.directions.copy_(q.t() * WALK_LENGTH)
    return walks


def edit_chunks(images: torch.Tensor, plan: list[tuple[str, float, slice]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply each (edit, alpha) of the plan to its slice of the batch: (edited, mask), both (N, ., H, W)."""
    edited, masks = zip(*(edit_images(images[s], e, a) for e, a, s in plan))
    return torch.cat(edited), torch.cat(masks).to(images.device)


def walk_offsets(walks: Walks, plan: list[tuple[str, float, slice]], n: int, device) -> torch.Tensor:
    """a * w_e for every row of the batch (N, latent_dim)."""
    rows = []
    for edit, alpha, s in plan:
        w = walks.directions[walks.config.edits.index(edit)]
        rows.append((walk_step(edit, alpha) * w).expand(s.stop - s.start, -1))
    return torch.cat(rows).to(device)


def make_plan(n: int, edits: list[str], generator: torch.Generator) -> list[tuple[str, float, slice]]:
    """Split a batch of n into one chunk per edit (random order), each with a random alpha."""
    order = torch.randperm(len(edits), generator=generator).tolist()
    bounds = [round(i * n / len(edits)) for i in range(len(edits) + 1)]
    return [(edits[k], EDITS[edits[k]].sample(generator), slice(bounds[i], bounds[i + 1])) for i, k in enumerate(order)]


def steerable_step(gan, walks, x, y, opt_cost, opt_gen, noise, walk_weight: float, accelerator=None) -> dict:
    """One batch: (1) update the cost network, (2) update the generator and the walks (see module docstring)."""
    n, c = len(x), gan.config
    backward = accelerator.backward if accelerator is not None else torch.Tensor.backward
    z = truncated_normal((n, c.latent_dim), 1.0, noise).to(x.device)
    y_fake = torch.randint(c.num_classes, (n,), generator=noise).to(x.device)
    plan = make_plan(n, walks.config.edits, noise)
    offsets = walk_offsets(walks, plan, n, x.device)
    both = (gan.generator(torch.cat([z, z + offsets]), torch.cat([y_fake, y_fake])) + 1) / 2  # one BN batch
    plain, walked = both[:n], both[n:]
    real_edited, _ = edit_chunks(x, plan)
    real_all, labels_all = torch.cat([x, real_edited]), torch.cat([y, y])
    # (1) update the cost network on real (plain and edited) against generated (plain and walked)
    cost = gan.cost_loss(real_all, both, labels_all, torch.cat([y_fake, y_fake]))
    opt_cost.zero_grad(set_to_none=True)
    backward(cost.loss)
    opt_cost.step()
    # (2) update the generator and the walks: adversarial on both halves + the walk loss
    with torch.no_grad():
        target, mask = edit_chunks(plain.detach(), plan)
        still = ((plain - target) ** 2 * mask).flatten(1).sum(1)  # no-walk error per image
    moved = ((walked - target) ** 2 * mask).flatten(1).sum(1)
    walk_loss = moved.sum() / still.sum().clamp_min(1e-3)  # ratio of batch sums: no reward for blank images
    gen = gan.generator_loss(both, torch.cat([y_fake, y_fake]))
    loss = gen.loss + walk_weight * walk_loss
    opt_gen.zero_grad(set_to_none=True)
    backward(loss)
    if accelerator is not None and accelerator.num_processes > 1:  # the walks are no wrapped module: average here
        walks.directions.grad = accelerator.reduce(walks.directions.grad, reduction="mean")
    grad_norm = torch.cat([p.grad.flatten() for p in gan.generator.parameters() if p.grad is not None]).norm()
    opt_gen.step()
    with torch.no_grad():  # keep every walk at its fixed length
        walks.directions.mul_(WALK_LENGTH / walks.directions.norm(dim=1, keepdim=True).clamp_min(1e-8))
    return {
        "cost_loss": float(cost.loss.detach()),
        "generator_loss": float(gen.loss.detach()),
        "walk_loss": float(walk_loss.detach()),
        "energy_real": float(cost.energy_real),
        "energy_fake": float(cost.energy_fake),
        "generator_grad_norm": float(grad_norm),
    }


def train_steerable(
    gan,
    images,
    labels,
    *,
    epochs: float,
    batch_size: int = 128,
    learning_rate: float = 2e-4,
    walk_learning_rate: float = 1e-3,
    walk_weight: float = 1.0,
    ema_decay: float = 0.999,
    seed: int = 0,
    generator_name: str = "",
    device="cpu",
    max_steps: int | None = None,
    time_limit_s: float | None = None,
    accelerator=None,
):
    """Fine-tune `gan` (in place) with walks for every edit; returns (gan with EMA generator, walks, per-step log)."""
    import time

    from .loop import GAN_PARTS, prepare_parts, unwrap_parts  # noqa: PLC0415

    if accelerator is not None:
        device = accelerator.device
    gan = gan.to(device).train()
    walks = initial_walks(gan.config.latent_dim, generator_name, seed).to(device)
    opt_cost = torch.optim.Adam(gan.cost.parameters(), lr=learning_rate, betas=(0.5, 0.999))
    opt_gen = torch.optim.Adam(
        [{"params": gan.generator.parameters()}, {"params": walks.parameters(), "lr": walk_learning_rate}],
        lr=learning_rate,
        betas=(0.5, 0.999),
    )
    ema = AveragedModel(gan.generator, multi_avg_fn=get_ema_multi_avg_fn(ema_decay), use_buffers=True)
    rank = 0
    if accelerator is not None:  # G and C prepared apart (one wrapper each); the walks' gradient averaged by hand
        prepare_parts(accelerator, gan, GAN_PARTS)
        opt_cost, opt_gen = accelerator.prepare(opt_cost, opt_gen)
        rank = accelerator.process_index
    noise = torch.Generator().manual_seed(seed + rank)  # each rank its own batches and noise
    images, labels = images.to(device), labels.to(device)
    steps_per_epoch = len(images) // batch_size
    total = int(epochs * steps_per_epoch) if max_steps is None else max_steps
    log, start = [], time.time()
    for step in tqdm(range(total), desc="steerable GAN steps"):
        if step % steps_per_epoch == 0:
            order = torch.randperm(len(images), generator=noise).to(device)
        index = order[(step % steps_per_epoch) * batch_size :][:batch_size]
        log.append(
            steerable_step(gan, walks, images[index], labels[index], opt_cost, opt_gen, noise, walk_weight, accelerator)
        )
        ema.update_parameters(gan.generator if accelerator is None else accelerator.unwrap_model(gan.generator))
        if time_limit_s is not None and time.time() - start > time_limit_s:
            break
    if accelerator is not None:
        unwrap_parts(accelerator, gan, GAN_PARTS)
    gan.generator.load_state_dict(ema.module.state_dict())
    return gan.eval(), walks.eval(), log
