"""The shared training loops over Accelerate: Adam on a model's own loss, and the GAN / super-resolution loops
with their labelled updates "(1) cost network, (2) generator" (the caption GAN's: caption_loop.py)."""

from __future__ import annotations

import contextlib
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from diffusers.training_utils import EMAModel
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from ..metrics import class_histogram
from ..models.super_resolution import (
    PatchDiscriminator,
    bicubic,
    crop_weights,
    to_ycbcr,
    training_crops,
)
from .augment import check_policy, diff_augment, fake_labels
from .recipes import Recipe

GAN_LOG = (
    "cost_loss",
    "generator_loss",
    "energy_real",
    "energy_fake",
    "generator_grad_norm",
    "histogram_step",
    "class_histogram",
    "conditional_accuracy",
)  # what train_gan logs, per step or per diagnostic
GAN_PARTS = ("generator", "cost")  # trained by their own optimisers: prepared as separate modules
DIAGNOSTIC_EVERY = 100  # steps between class-histogram checks of GAN samples


class InMemoryTensors(TensorDataset):
    """A TensorDataset whose batches are one indexing per tensor (`__getitems__`, which the DataLoader calls with
    a batch's indices) instead of one item per sample stacked by collation: the per-sample Python work dominated
    the step of the smallest models (a 64-unit autoencoder trained at 0.69 of a bare loop)."""

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        index = torch.as_tensor(indices)
        return tuple(tensor[index] for tensor in self.tensors)


def whole_batch(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """The collate step of InMemoryTensors: its batch is already stacked."""
    return batch


def make_loader(
    images: torch.Tensor, labels: torch.Tensor | None, recipe: Recipe, order: torch.Generator | None = None
) -> DataLoader:
    """Shuffled batches; `order` (seeded here unless given) draws the shuffling."""
    labels = labels if labels is not None else torch.zeros(len(images), dtype=torch.long)
    return DataLoader(
        InMemoryTensors(images, labels),
        batch_size=recipe.batch_size,
        shuffle=True,
        drop_last=True,
        generator=order if order is not None else torch.Generator().manual_seed(recipe.seed),
        collate_fn=whole_batch,
    )


@dataclass
class RunState:
    """Where a run keeps its resumable state (Accelerate's save_state: weights, optimiser, RNG) and how often."""

    folder: Path | None = None  # runs/<recipe>: one sub-folder per saved epoch (git-ignored)
    save_every: int = 0  # epochs between saves (0 = never)
    resume_from: Path | None = None  # a saved epoch folder to continue from

    def resume(self, accelerator: Accelerator) -> tuple[int, list[float]]:
        """Load the saved state: (the first epoch still to run, the loss history so far)."""
        if self.resume_from is None:
            return 0, []
        accelerator.load_state(str(self.resume_from))
        done = json.loads((Path(self.resume_from) / "progress.json").read_text())
        return done["epoch"] + 1, done["history"]

    def save(self, accelerator: Accelerator, epoch: int, history: list[float]) -> None:
        if self.folder is None or not self.save_every or (epoch + 1) % self.save_every:
            return
        target = Path(self.folder) / f"epoch_{epoch}"
        accelerator.save_state(str(target))
        if accelerator.is_main_process:
            (target / "progress.json").write_text(json.dumps({"epoch": epoch, "history": history}))


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """The seed of a rank's noise in an epoch (each epoch reseeded, so a resumed run draws the same noise)."""
    return seed + 1000 * epoch + rank


def cosine_factor(step: int, steps: int) -> float:
    """The learning rate's factor at a step: 1 throughout when steps = 0, else a cosine from 1 down to 0."""
    return 1.0 if not steps else 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps))


def mirror_half(images: torch.Tensor) -> torch.Tensor:
    """Each image mirrored left-right with probability 1/2 (torch's global generator: saved with a run's state)."""
    flip = torch.rand(len(images), device=images.device) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


def train_model(
    model,
    images: torch.Tensor,
    recipe: Recipe,
    accelerator: Accelerator,
    max_steps: int | None = None,
    labels: torch.Tensor | None = None,
    run: RunState | None = None,
    with_labels: bool = False,
):
    """The training loop: Adam on the model's own loss (given the labels too when with_labels); returns the
    per-epoch mean losses. Each epoch's order is drawn from seed + epoch, so a run resumed from a saved epoch
    continues exactly as an uninterrupted one. With recipe.ema_decay the returned weights are the moving average
    (diffusers' EMAModel, saved and resumed with the run's state)."""
    run, order = run or RunState(), torch.Generator()
    loader = make_loader(images, labels, recipe, order)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    steps = recipe.epochs * len(loader) if recipe.cosine_schedule else 0  # one process's steps (Accelerate scales)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: cosine_factor(s, steps))
    model, optimizer, loader, schedule = accelerator.prepare(model, optimizer, loader, schedule)
    ema = EMAModel(model.parameters(), decay=recipe.ema_decay) if recipe.ema_decay else None
    if ema is not None:  # saved and loaded with the run's state
        accelerator.register_for_checkpointing(ema)
    first, history = run.resume(accelerator)
    for epoch in range(first, recipe.epochs):
        order.manual_seed(recipe.seed + epoch)
        model.train()
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not accelerator.is_local_main_process)
        for step, (x, y) in enumerate(bar):
            x = mirror_half(x) if recipe.flip_images else x
            loss = (model(x, labels=y) if with_labels else model(x)).loss
            optimizer.zero_grad(set_to_none=True)
            accelerator.backward(loss)
            optimizer.step()
            schedule.step()
            if ema is not None:
                ema.step(model.parameters())
            total, count = total + loss.detach(), count + 1  # summed as a tensor: no sync per step
            if accelerator.trackers:
                accelerator.log({"train/loss": loss.item()}, step=epoch * len(loader) + step)
            if step % 50 == 0:
                bar.set_postfix(loss=f"{float(total) / count:.2f}")
            if max_steps is not None and step + 1 >= max_steps:
                break
        history.append(float(total) / count)
        run.save(accelerator, epoch, history)
        if max_steps is not None:
            break
    if ema is not None:
        ema.copy_to(model.parameters())
    return accelerator.unwrap_model(model).eval().cpu(), history


def train_second_stage(model, images: torch.Tensor, recipe: Recipe, accelerator: Accelerator, max_steps=None):
    """Two-stage VAE, stage 2 (Dai & Wipf 2019): the first stage frozen, its codes z ~ q(z|x) of the training
    images (drawn afresh each epoch) train `model.second_stage` (its own loss, Adam, cosine schedule); returns the
    per-epoch mean losses (nats per code)."""
    model.eval()
    with torch.no_grad():
        moments = [model.encode(x) for x in images.split(1000)]
    mean, std = torch.cat([m for m, _ in moments]), torch.cat([(0.5 * v).exp() for _, v in moments])
    stage = model.second_stage.train()
    epochs = recipe.second_stage_epochs
    optimizer = torch.optim.Adam(stage.parameters(), lr=recipe.learning_rate)
    steps_per_epoch = len(mean) // recipe.second_stage_batch_size
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(1, epochs * steps_per_epoch))
    codes = torch.Generator().manual_seed(recipe.seed)
    stage, optimizer, schedule = accelerator.prepare(stage, optimizer, schedule)
    noise = torch.Generator(device=accelerator.device).manual_seed(recipe.seed + accelerator.process_index)
    history, step = [], 0
    for epoch in range(epochs):
        z = mean + std * torch.randn(mean.shape, generator=codes)
        order = torch.randperm(len(z), generator=codes)
        loader = DataLoader(TensorDataset(z[order]), batch_size=recipe.second_stage_batch_size, drop_last=True)
        loader = accelerator.prepare(loader)
        total = torch.zeros(())
        for (batch,) in tqdm(
            loader, desc=f"stage 2 epoch {epoch + 1}/{epochs}", disable=not accelerator.is_local_main_process
        ):
            loss = stage(batch, noise).mean()  # the second stage's forward() is its loss per code
            optimizer.zero_grad(set_to_none=True)
            accelerator.backward(loss)
            optimizer.step()
            schedule.step()
            total, step = total + loss.detach().cpu(), step + 1
            if max_steps is not None and step >= max_steps:
                break
        history.append(float(total) / max(1, len(loader)))
        if max_steps is not None and step >= max_steps:
            break
    model.second_stage = accelerator.unwrap_model(stage).eval()
    return model.eval().cpu(), history


def train_super_resolution(model, images: torch.Tensor, recipe: Recipe, accelerator: Accelerator, max_steps=None):
    """srez: L1 to the high-resolution image, plus w_adv * softplus(-D(x_hat)) when the config asks for it."""
    loader = make_loader(images, None, recipe)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    weight = model.config.adversarial_weight
    disc = PatchDiscriminator(model.config.num_channels) if weight > 0 else None
    opt_disc = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999)) if disc else None
    space = to_ycbcr if model.config.colour_space == "ycbcr" else (lambda x: x)  # what a colour model sees
    scale = model.config.scale
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    if disc:
        disc, opt_disc = accelerator.prepare(disc, opt_disc)
    history, step = [], 0
    for epoch in range(recipe.epochs):
        model.train()
        total, count = 0.0, 0
        for x, _ in tqdm(
            loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not accelerator.is_local_main_process
        ):
            x = space(x)
            low = (x.shape[2] // scale, x.shape[3] // scale)  # from the dataset's size
            out = model(bicubic(x, low), targets=x)
            loss = out.loss
            if disc:
                # (1) update the discriminator on real and super-resolved images
                d_loss = F.softplus(-disc(x)).mean() + F.softplus(disc(out.images.detach())).mean()
                opt_disc.zero_grad(set_to_none=True)
                accelerator.backward(d_loss)
                opt_disc.step()
                loss = loss + weight * F.softplus(-disc(out.images)).mean()
            # (2) update the super-resolution network
            optimizer.zero_grad(set_to_none=True)
            accelerator.backward(loss)
            optimizer.step()
            total, count, step = total + out.loss.item(), count + 1, step + 1
            if max_steps is not None and step >= max_steps:
                break
        history.append(total / count)
        if max_steps is not None and step >= max_steps:
            break
    return accelerator.unwrap_model(model).eval().cpu(), history


PHOTO_FATHER_SCALES = (1.0, 0.75, 0.5)  # each training photo and two smaller copies of it
PHOTO_CROP = 48  # pixels: the side of a photo model's training crops


def train_photo_super_resolution(model, photos: list[torch.Tensor], recipe: Recipe, accelerator, max_steps=None):
    """A colour super-resolution model on photos: recipe.epochs steps of recipe.batch_size crops (positions by
    gradient energy, flipped/rotated; from each photo and smaller copies) in YCbCr, grey photos as neutral YCbCr,
    the net fed the input less its mean; L1, Adam with a cosine schedule to a hundredth. Returns (model, mean L1
    per 1,000 steps)."""
    rng, scale = random.Random(recipe.seed), model.config.scale
    fathers = []
    for photo in photos:
        ycc = to_ycbcr(photo)
        h, w = ycc.shape[2:]
        fathers += [ycc if f == 1 else bicubic(ycc, (round(h * f), round(w * f))) for f in PHOTO_FATHER_SCALES]
    weights = [crop_weights(f[:, :1], PHOTO_CROP) for f in fathers]
    steps = recipe.epochs if max_steps is None else min(max_steps, recipe.epochs)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps, eta_min=recipe.learning_rate / 100)
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    history, total = [], 0.0
    for step in tqdm(range(steps), desc="photo crops", disable=not accelerator.is_local_main_process):
        target = training_crops(fathers, weights, PHOTO_CROP, recipe.batch_size, rng)
        low = bicubic(target, (PHOTO_CROP // scale, PHOTO_CROP // scale)).to(accelerator.device)
        loss = F.l1_loss(model(low).images, target.to(accelerator.device))
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        optimizer.step()
        schedule.step()
        total += loss.item()
        if (step + 1) % 1000 == 0 or step + 1 == steps:
            history.append(total / ((step % 1000) + 1))
            total = 0.0
    return accelerator.unwrap_model(model).eval().cpu(), history


@torch.no_grad()
def sample_diagnostics(model, classifier, num_per_class: int = 50, seed: int = 0) -> tuple[list[float], float]:
    """Class histogram (by the evaluation classifier) of conditional samples, and their accuracy."""
    model.eval()
    requested = torch.arange(model.config.num_classes).repeat_interleave(num_per_class)
    images = model.generate(len(requested), class_labels=requested, generator=torch.Generator().manual_seed(seed))
    predicted = classifier.predict(images.cpu())
    model.train()
    return class_histogram(predicted, model.config.num_classes).tolist(), float((predicted == requested).float().mean())


def train_gan(
    model,
    images,
    labels,
    recipe: Recipe,
    accelerator: Accelerator,
    classifier=None,
    max_steps=None,
    run: RunState | None = None,
):
    """Two labelled updates per batch; logs the three pitfalls per step (losses, generator gradient norm,
    class histogram of samples every DIAGNOSTIC_EVERY steps). Data order and noise are drawn from seed + epoch,
    so a run resumed from a saved epoch (`run`) continues exactly as an uninterrupted one."""
    run, order = run or RunState(), torch.Generator()
    loader = make_loader(images, labels, recipe, order)
    opt_cost = torch.optim.Adam(model.cost.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    opt_gen = torch.optim.Adam(model.generator.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    # the generator and the cost network are prepared as separate modules (one DDP wrapper each on several
    # processes) and put back on the model, so both losses run through the wrappers; each rank its own noise
    net = model
    prepare_parts(accelerator, net, GAN_PARTS)
    opt_cost, opt_gen, loader = accelerator.prepare(opt_cost, opt_gen, loader)
    noise = torch.Generator(device=accelerator.device).manual_seed(recipe.seed + accelerator.process_index)
    policy, draws = check_policy(recipe.diff_augment), torch.Generator()  # DiffAugment: the same in both updates
    first, log = run.resume(accelerator)
    log, step = log or {k: [] for k in GAN_LOG}, first * len(loader)
    for epoch in range(first, recipe.epochs):
        order.manual_seed(recipe.seed + epoch)
        noise.manual_seed(epoch_seed(recipe.seed, epoch, accelerator.process_index))
        draws.manual_seed(epoch_seed(recipe.seed + 1, epoch, accelerator.process_index))
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{recipe.epochs}", disable=not accelerator.is_local_main_process)
        for x, y in bar:
            z = torch.randn(len(x), net.config.latent_dim, generator=noise, device=x.device)
            y_fake = fake_labels(y, net.config.num_classes, recipe.fake_labels_from_data, noise)
            fake = net(z, y_fake)
            x, fake = diff_augment(x, policy, draws), diff_augment(fake, policy, draws)  # x itself with no policy
            # (1) update the cost network: L_C = C(x) + [m - C(G(z))]^+  (or the discriminator's loss)
            cost = net.cost_loss(x, fake, y, y_fake)
            opt_cost.zero_grad(set_to_none=True)
            accelerator.backward(cost.loss)
            opt_cost.step()
            # (2) update the generator: L_G = C(G(z)) (+ pulling-away)  (or softplus(-D(G(z))))
            gen = net.generator_loss(fake, y_fake)
            opt_gen.zero_grad(set_to_none=True)
            accelerator.backward(gen.loss)
            grad_norm = torch.cat([p.grad.flatten() for p in net.generator.parameters() if p.grad is not None]).norm()
            opt_gen.step()
            _log_losses(log, cost, gen, grad_norm)
            if classifier is not None and step % DIAGNOSTIC_EVERY == 0 and accelerator.is_main_process:
                with plain_parts(accelerator, net, GAN_PARTS):  # rank 0 alone: never through the wrappers
                    histogram, accuracy = sample_diagnostics(net, classifier)
                log["histogram_step"].append(step)
                log["class_histogram"].append([round(h, 4) for h in histogram])
                log["conditional_accuracy"].append(accuracy)
            bar.set_postfix(L_C=f"{log['cost_loss'][-1]:.2f}", L_G=f"{log['generator_loss'][-1]:.2f}")
            step += 1
            if max_steps is not None and step >= max_steps:
                return unwrap_parts(accelerator, net, GAN_PARTS).eval().cpu(), log
        run.save(accelerator, epoch, log)
    return unwrap_parts(accelerator, net, GAN_PARTS).eval().cpu(), log


def _log_losses(log: dict, cost, gen, grad_norm: torch.Tensor) -> None:
    for key, value in (
        ("cost_loss", cost.loss),
        ("generator_loss", gen.loss),
        ("energy_real", cost.energy_real),
        ("energy_fake", cost.energy_fake),
        ("generator_grad_norm", grad_norm),
    ):
        log[key].append(round(float(value.detach()), 5))


def prepare_parts(accelerator: Accelerator, net, names: tuple[str, ...]) -> None:
    """Prepare the named submodules of `net` as separate modules (one process-group wrapper each when several
    processes train) and put them back on `net`, so the model's own loss methods run through the wrappers."""
    prepared = accelerator.prepare(*(getattr(net, name) for name in names))
    for name, module in zip(names, prepared if len(names) > 1 else (prepared,)):
        setattr(net, name, module)


def unwrap_parts(accelerator: Accelerator, net, names: tuple[str, ...]):
    """`net` with the named submodules taken out of their wrappers again (in place)."""
    for name in names:
        setattr(net, name, accelerator.unwrap_model(getattr(net, name)))
    return net


@contextlib.contextmanager
def plain_parts(accelerator: Accelerator, net, names: tuple[str, ...]):
    """`net` with its own submodules for a while (for work one rank does alone), the wrappers put back after."""
    wrapped = {name: getattr(net, name) for name in names}
    unwrap_parts(accelerator, net, names)
    try:
        yield net
    finally:
        for name, module in wrapped.items():
            setattr(net, name, module)
