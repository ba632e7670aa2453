"""The caption GAN's training loop (GAN-INT-CLS): (0) the joint embedding and the colour tint, then with them
frozen (1) the matching-aware discriminator and (2) the generator, whose weights are averaged (EMA). The generator
may restart, after some GAN epochs, from a class-conditional GAN's (`restart_generator`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from .. import data
from ..models.text_gan import TextGAN, TextGANConfig, vocabulary
from .loop import RunState, epoch_seed, plain_parts, prepare_parts, unwrap_parts
from .recipes import Recipe

TEXT_GAN_PARTS = ("text_encoder", "image_encoder", "generator", "discriminator", "logit", "text_projection")
TEXT_GAN_EMA_DECAY = 0.999  # the caption generator that is saved is this moving average of its weights


def _text_gan_step(model, net, batch, optimizers, noise, accelerator, warmup: bool, r1_weight: float = 0.0) -> float:
    """One batch of the caption GAN: (0) the joint embedding (and the tint's colour regression) while warming
    up, else (1) the discriminator (GAN-CLS), (2) the generator (GAN-INT) and (1b) with r1_weight > 0 the
    discriminator's R1 step; returns the loss it logs."""
    (x, ids, mask, rgb), (opt_text, opt_disc, opt_gen) = batch, optimizers
    if warmup:  # (0) the joint embedding, 10% of words dropped to [UNK]
        drop = (torch.rand(ids.shape, generator=noise, device=ids.device) < 0.1) & mask.bool()
        ids = ids.masked_fill(drop, 1)
        loss = net.contrastive_loss(x, ids, mask)
        if net.config.tint:  # c(phi(t)) learns the caption's colour from clean shapes
            loss = loss + 10 * F.mse_loss(net.tint_of(net.text_encoder(ids, mask)), rgb)
        opt_text.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        opt_text.step()
        return loss.item()
    with torch.no_grad():
        text = net.text_encoder(ids, mask)
        beta = torch.rand(len(x), 1, generator=noise, device=x.device)
        mixed = F.normalize(beta * text + (1 - beta) * text.roll(1, 0), dim=1)
    z = torch.randn(2 * len(x), net.config.latent_dim, generator=noise, device=x.device)
    fake, fake_mixed = model(z[: len(x)], text), model(z[len(x) :], mixed)
    d_loss = net.discriminator_loss(x, fake, text, text.roll(1, 0))  # (1) update the discriminator
    opt_disc.zero_grad(set_to_none=True)
    accelerator.backward(d_loss)
    opt_disc.step()
    g_loss = net.generator_loss(fake, text, fake_mixed, mixed)  # (2) update the generator
    opt_gen.zero_grad(set_to_none=True)
    accelerator.backward(g_loss)
    opt_gen.step()
    if r1_weight > 0:  # (1b) R1 on real pairs, the discriminator's own step
        r1 = r1_weight * net.r1_penalty(x, text)
        opt_disc.zero_grad(set_to_none=True)
        accelerator.backward(r1)
        opt_disc.step()
    return g_loss.item()


def gan_lr_factor(recipe: Recipe, gan_epoch: int) -> float:
    """The GAN's learning rate in GAN epoch `gan_epoch` (0-based) over the recipe's: 1, then from
    lr_decay_start x epochs on a linear fall that would reach 0 after the last epoch; halved once the generator
    has restarted from a class GAN's (a fine-tune)."""
    start = recipe.lr_decay_start * recipe.epochs
    factor = 0.5 if recipe.init_generator and gan_epoch >= recipe.init_generator_after else 1.0
    if gan_epoch < start:
        return factor
    return factor * max(0.0, 1 - (gan_epoch - start + 1) / (recipe.epochs - start + 1))


def generator_ema(generator: torch.nn.Module) -> AveragedModel:
    """The moving average of the generator's weights (and buffers) that is saved (decay TEXT_GAN_EMA_DECAY)."""
    return AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(TEXT_GAN_EMA_DECAY), use_buffers=True)


def set_gan_lr(optimizers, recipe: Recipe, gan_epoch: int) -> None:
    """The learning rate of GAN epoch `gan_epoch`, set from the epoch alone (a resumed run gets the same)."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = recipe.learning_rate * gan_lr_factor(recipe, gan_epoch)


def text_gan_parts(model: TextGAN) -> tuple[str, ...]:
    return TEXT_GAN_PARTS + (("tint_head",) if model.config.tint else ())


def _optimizers(model: TextGAN, recipe: Recipe):
    """(0) the joint embedding (and tint), (1) the discriminator, (2) the generator."""
    text_params = [*model.text_encoder.parameters(), *model.image_encoder.parameters()]
    if model.config.tint:
        text_params += list(model.tint_head.parameters())
    opt_text = torch.optim.Adam(text_params, lr=1e-3)
    opt_disc = torch.optim.Adam(
        [*model.discriminator.parameters(), *model.logit.parameters(), *model.text_projection.parameters()],
        lr=recipe.learning_rate,
        betas=recipe.betas,
    )
    opt_gen = torch.optim.Adam(model.generator.parameters(), lr=recipe.learning_rate, betas=recipe.betas)
    return opt_text, opt_disc, opt_gen


def _caption_loader(model: TextGAN, captioned: dict, batch_size: int, order: torch.Generator) -> DataLoader:
    """Batches of (image, token ids, attention mask, the caption colour's RGB), shuffled by `order`."""
    tokens = model.tokenizer(captioned["captions"], padding="max_length", truncation=True, return_tensors="pt")
    rgb = torch.tensor(list(data.PALETTE.values()))[captioned["colours"]]
    dataset = TensorDataset(captioned["images"], tokens["input_ids"], tokens["attention_mask"], rgb)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True, generator=order)


def train_text_gan(captioned: dict, recipe: Recipe, accelerator: Accelerator, max_steps=None, run=None, source=None):
    """(0) joint embedding (text and image encoders, InfoNCE, 10% word dropout so [UNK] means 'unknown'; the tint
    regresses the caption's colour), then with them frozen: (1) the discriminator (GAN-CLS), (2) the generator
    (GAN-INT), saved as the EMA of its weights; with a class-conditional GAN `source`, the generator restarts from
    its generator after `recipe.init_generator_after` GAN epochs (`restart_generator`). Resumable from a saved
    epoch (`run`), like train_gan."""
    if source is not None and recipe.init_generator_after >= recipe.epochs:
        raise ValueError(
            f"the generator restarts from {recipe.init_generator or 'the class GAN'} after "
            f"{recipe.init_generator_after} GAN epochs, so the run needs more than that, got {recipe.epochs}"
        )
    run = run or RunState()
    config = dict(recipe.config, vocab=vocabulary(captioned["captions"]), colour_words=data.COLOUR_WORDS)
    model = TextGAN(TextGANConfig(**config))
    order = torch.Generator()
    loader = _caption_loader(model, captioned, recipe.batch_size, order)
    opt_text, opt_disc, opt_gen = _optimizers(model, recipe)
    parts = text_gan_parts(model)
    prepare_parts(accelerator, model, parts)
    opt_text, opt_disc, opt_gen, loader = accelerator.prepare(opt_text, opt_disc, opt_gen, loader)
    net = model
    ema = generator_ema(accelerator.unwrap_model(net.generator))
    accelerator.register_for_checkpointing(ema)
    noise = torch.Generator(device=accelerator.device)
    first, history = run.resume(accelerator)
    step = first * len(loader)
    for epoch in range(first, recipe.warmup_epochs + recipe.epochs):
        set_gan_lr((opt_disc, opt_gen), recipe, epoch - recipe.warmup_epochs)
        order.manual_seed(recipe.seed + epoch)
        noise.manual_seed(epoch_seed(recipe.seed, epoch, accelerator.process_index))
        warmup = epoch < recipe.warmup_epochs
        if source is not None and epoch == recipe.warmup_epochs + recipe.init_generator_after:
            restart_generator(accelerator, net, parts, source, captioned, (ema, opt_gen))
        totals = []
        for batch in tqdm(
            loader,
            desc=f"{'embedding' if warmup else 'GAN'} epoch {epoch + 1}",
            disable=not accelerator.is_local_main_process,
        ):
            totals.append(
                _text_gan_step(
                    model, net, batch, (opt_text, opt_disc, opt_gen), noise, accelerator, warmup, recipe.r1_weight
                )
            )
            if not warmup:
                ema.update_parameters(accelerator.unwrap_model(net.generator))
            step += 1
            if max_steps is not None and step >= max_steps:
                break
        history.append(sum(totals) / len(totals))
        if max_steps is not None and step >= max_steps:
            break
        run.save(accelerator, epoch, history)
    trained = unwrap_parts(accelerator, net, parts)
    if ema.n_averaged.item() > 0:
        trained.generator.load_state_dict(ema.module.state_dict())
        recalibrate_batch_norm(trained, captioned["captions"], recipe.seed)
    return trained.eval().cpu(), history


@torch.no_grad()
def recalibrate_batch_norm(model: TextGAN, captions: list[str], seed: int, batches: int = 50) -> None:
    """The averaged generator's batch-norm statistics, measured afresh (an average of weights is not matched by
    the average of their running statistics: images came out dim without this): `update_bn` over
    `batches` x 256 (z, caption) inputs."""
    noise = torch.Generator().manual_seed(seed)
    device = next(model.generator.parameters()).device
    inputs = []
    for i in range(0, min(len(captions), 256 * batches), 256):
        text = model.encode_text(captions[i : i + 256])
        z = torch.randn(len(text), model.config.latent_dim, generator=noise).to(device)
        inputs.append(torch.cat([z, text], dim=1))
    update_bn(inputs, model.generator)


def restart_generator(accelerator, net, parts, source, captioned: dict, ema_and_optimizer) -> None:
    """The generator restarts from the class GAN `source`'s (`start_from_class_gan`; phi is final by now); its
    moving average and its optimiser's moments start afresh. The discriminator keeps what it has learned."""
    ema, opt_gen = ema_and_optimizer
    with plain_parts(accelerator, net, parts):
        start_from_class_gan(net, source, captioned["captions"], captioned["labels"])
        if accelerator.num_processes > 1:  # LAPACK's least squares can round differently on each rank (seen with
            for tensor in net.generator.state_dict().values():  # fewer captions than unknowns): rank 0's for all
                torch.distributed.broadcast(tensor, src=0)
    ema.n_averaged.zero_()  # the next update copies the restarted generator
    opt_gen.state.clear()


@torch.no_grad()
def start_from_class_gan(model: TextGAN, source, captions: list[str], labels: torch.Tensor) -> float:
    """Start the caption generator from a class-conditional GAN's (genhub.models.ebgan.ConditionalGAN, same widths
    and latent size, one channel: the tint colours it). G_source(z, e(y)) reads the class through its embedding
    e(y); the caption generator reads phi(t) instead. The affine map phi(t) -> e(y) of least squares over the
    training captions (phi frozen, its training tokenization) is folded into every linear layer that reads the
    conditioning (the projection and the conditional batch norms' gains and biases): at the start
    G(z, phi(t)) = G_source(z, A phi(t) + b). Returns the fit's residual over the variance of e(y)."""
    config, source_config = model.config, source.config
    if not config.tint or source_config.num_channels != 1:
        raise ValueError("a class GAN starts only a tint caption model, from a one-channel (grey) generator")
    if (source_config.latent_dim, list(source_config.generator_channels)) != (
        config.latent_dim,
        list(config.generator_channels),
    ):
        raise ValueError(
            f"the class GAN's latent size and generator widths ({source_config.latent_dim}, "
            f"{list(source_config.generator_channels)}) must be the caption model's ({config.latent_dim}, "
            f"{list(config.generator_channels)})"
        )
    device = next(model.generator.parameters()).device
    tokens = model.tokenizer(list(captions), padding="max_length", truncation=True, return_tensors="pt")
    phi = torch.cat(
        [
            model.text_encoder(
                tokens["input_ids"][i : i + 2000].to(device), tokens["attention_mask"][i : i + 2000].to(device)
            )
            for i in range(0, len(captions), 2000)
        ]
    ).cpu()
    embedding = source.generator.class_embedding.weight.detach().cpu().double()
    target = embedding[torch.as_tensor(labels)]
    inputs = torch.cat([phi.double(), torch.ones(len(phi), 1, dtype=torch.float64)], dim=1)
    fit = torch.linalg.lstsq(inputs, target).solution  # (text_embed_dim + 1, class_embed_dim); float64 keeps the
    a, b = fit[:-1].t(), fit[-1]  # e(y) ~ a phi(t) + b; float32 weights the same from run to run
    state = {k: v.cpu() for k, v in source.generator.state_dict().items() if not k.startswith("class_embedding")}
    for name, layer in source.generator.named_modules():
        if isinstance(layer, nn.Linear):  # reads [z, e(y)]: W_z z + W_e e + c -> [W_z, W_e a] [z, phi] + c + W_e b
            w_z, w_e = layer.weight.detach().cpu().double().split([config.latent_dim, embedding.shape[1]], dim=1)
            state[f"{name}.weight"] = torch.cat([w_z, w_e @ a], dim=1).float()
            state[f"{name}.bias"] = (layer.bias.detach().cpu().double() + w_e @ b).float()
    model.generator.load_state_dict(state)
    return float((inputs @ fit - target).pow(2).sum() / (target - target.mean(0)).pow(2).sum())
