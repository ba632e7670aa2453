"""One Recipe per shipped checkpoint: family, architecture (the config), optimiser settings, card notes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Recipe:
    family: str  # a key of genhub.train.families.FAMILIES ("autoencoder", "vae", "gan", "diffusion", ...)
    description: str  # one line for the card
    config: dict  # architecture and objective (the model's config)
    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 1e-3
    seed: int = 0
    compare_with: list[str] = field(default_factory=list)  # checkpoints whose test figures the card quotes
    notes: str = ""  # what the card should say about reading the figures
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's betas (GANs use DCGAN's 0.5)
    warmup_epochs: int = 0  # text GAN: epochs of joint-embedding training before the GAN
    second_stage_epochs: int = 0  # two-stage VAE: epochs of the second stage on the frozen first stage's codes
    second_stage_batch_size: int = 256  # two-stage VAE: the second stage's batch
    r1_weight: float = 0.0  # text GAN: gamma of the R1 penalty on real pairs, a discriminator step of its own
    lr_decay_start: float = 1.0  # text GAN: fraction of the GAN epochs after which the GAN's learning rate falls
    # linearly towards 0 (1.0: constant)
    init_generator: str = ""  # text GAN: a class-conditional GAN whose generator the caption generator restarts from
    init_generator_after: int = 0  # text GAN: GAN epochs played from scratch before that restart
    cosine_schedule: bool = False  # plain loop: the learning rate falls to 0 along a cosine over the run's steps
    flip_images: bool = False  # plain loop: each training image mirrored left-right with probability 1/2
    ema_decay: float = 0.0  # plain loop: the saved weights are an exponential moving average with this decay (0 = off)
    diff_augment: str = ""  # GANs: DiffAugment's parts in the game ("color,translation,cutout"; "" = none)
    fake_labels_from_data: bool = False  # GANs: generated classes drawn as often as the data's (else uniformly)
    dataset: str = "fashion-mnist"  # what it trains on: a key of genhub.data.DATASETS, or "photos" (load_photos)

    def __post_init__(self):
        if self.config.get("mirror_invariant") and not self.flip_images:
            raise ValueError(
                "a mirror_invariant classifier must be trained with flip_images=True (its predict reads "
                "each item mirrored too)"
            )


GAN_NOTE = (
    "Which GAN samples by default: the Space's Sample tab orders the GANs by measured classifier-FID and "
    "defaults to the lowest (see the rows above). The two share the generator, the data, the budget and the "
    "seed; only the cost network and its objective differ, so the comparison is like for like. "
    "Two stages: `python -m genhub.train <name>` trains the base GAN (the diagnostics below are from it), then "
    "`python -m genhub.train <name>-walks` fine-tunes the generator jointly with its latent walks, real images "
    "edited by the same edits in the adversarial game and an EMA of the generator's weights "
    "(`genhub.train.steerable`); the weights shipped here and the figures above are after that stage. "
    "`training_log.json` keeps the base figures (`base_test_figures`) and the fine-tune's per-step losses."
)


RECIPES = {
    "fashion-ae-under": Recipe(
        "autoencoder",
        "under-complete (d = 64 < n = 784) tied autoencoder, BCE loss",
        dict(hidden_size=64, tied_weights=True),
    ),
    "fashion-ae-over": Recipe(
        "autoencoder",
        "over-complete (d = 1024 > n = 784) tied autoencoder, BCE loss",
        dict(hidden_size=1024, tied_weights=True),
    ),
    "fashion-dae": Recipe(
        "autoencoder",
        "over-complete tied denoising autoencoder, gaussian noise std 0.5",
        dict(hidden_size=1024, tied_weights=True, noise_type="gaussian", noise_level=0.5),
        compare_with=["fashion-ae-over"],
        notes="Trained only on corrupted inputs: clipped gaussian noise lifts the black background "
        "(by about 0.2 on average), so the model reconstructs a noisy input better than a "
        "clean one, while the plain autoencoder does the opposite. Compare the `loss_gaussian` "
        "column across the two rows.",
    ),
    "fashion-cae": Recipe(
        "autoencoder",
        "over-complete tied contractive autoencoder, lambda = 0.5",
        dict(hidden_size=1024, tied_weights=True, contractive_weight=0.5),
        compare_with=["fashion-ae-over"],
    ),
    "fashion-ae-untied": Recipe(
        "autoencoder",
        "under-complete (d = 64) untied autoencoder, BCE loss",
        dict(hidden_size=64, tied_weights=False),
        compare_with=["fashion-ae-under"],
    ),
    "fashion-vae": Recipe(
        "vae",
        "convolutional VAE, d = 16, beta = 1; then a Gaussian per class of the training images' codes (the class prior "
        "inpainting searches under)",
        dict(latent_dim=16, beta=1.0, num_classes=10),
        epochs=30,
        notes="The class prior (one Gaussian N(mu_c, Sigma_c) per class, fitted to the codes E(z) of the 60,000 "
        "training images after the 30 epochs) changes neither training nor sampling nor the ELBO, which use N(0, I). "
        "Inpainting searches z under the Gaussian of the class its class guide names for the known pixels, so the "
        "fill keeps the item's class. `class_prior_accuracy`: the share of test items whose code is likeliest under "
        "their own class's Gaussian.",
    ),
    "fashion-beta-vae": Recipe(
        "vae",
        "convolutional beta-VAE, d = 16, beta = 4",
        dict(latent_dim=16, beta=4.0),
        epochs=15,
        compare_with=["fashion-vae"],
    ),
    "fashion-vae-2stage": Recipe(
        "vae",
        "two-stage VAE (Dai & Wipf 2019): convolutional first stage, d = 32, beta = 0.1 (sharp codes), then an "
        "MLP VAE (3 x 512, learned gamma, batch 256, cosine schedule) on its codes; samples u ~ N(0, I) -> z -> x; "
        "then a Gaussian per class of the first stage's codes (the class prior inpainting searches z under)",
        dict(latent_dim=32, beta=0.1, second_stage_hidden_size=512, second_stage_layers=3, num_classes=10),
        epochs=20,
        second_stage_epochs=40,
        batch_size=128,
        compare_with=["fashion-vae"],
        notes="The second stage does not change the first stage's ELBO (`negative_elbo`, with N(0, I) as the prior); "
        "`negative_elbo_two_stage_prior` is the bound with the second stage as the prior of z. The low beta of the "
        "first stage is what sharpens the images (smaller posterior noise, a larger KL, a worse ELBO under "
        "N(0, I)); the second stage is what makes them samplable (compare `sample_fid` with "
        "`sample_fid_first_stage_prior`). The class prior (one Gaussian per class of the first stage's codes E(z) "
        "of the 60,000 training images, fitted last) changes neither training nor sampling nor either bound; "
        "inpainting with a class guide searches z under the Gaussian of the class the guide names, so the fill "
        "keeps the item's class (`class_prior_accuracy`: the share of test items whose code is likeliest under "
        "their own class's Gaussian).",
    ),
    "fashion-classifier": Recipe("classifier", "evaluation classifier (4 conv layers, 128-d features)", {}, epochs=8),
    "fashion-classifier-partial": Recipe(
        "classifier",
        "classifier of partly hidden items: the evaluation classifier's network, 1.5 times as wide (48 / 96 "
        "channels, 256-d features), given the known pixels and the mask, trained on random holes of 5 kinds and "
        "whole items (genhub.images.random_holes); inpainting's class evidence",
        {"partial_view": True, "mirror_invariant": True, "hidden_channels": [48, 96], "feature_dim": 256},
        epochs=18,
        seed=1,
        cosine_schedule=True,
        flip_images=True,
        notes="The accuracy_<kind>_hidden rows hide pixels of every test image with one kind of random hole "
        "(seeded). Inpainting (`genhub.operations.inpaint(..., class_guide=...)`) starts its search from prior "
        "samples of the class this model names for the known pixels, so a GAN prior's fills keep an item's class "
        "about as often as this model names it (a VAE's too when searched under its class prior). It is wider, trained longer and on mirrored items than the evaluation "
        "classifier (seed 1, not 0), and shares no weights with it. The release before (the evaluation classifier's "
        "width, 8 epochs, constant rate, no mirroring; 7.9 min) scored 0.925 on whole items and 0.859 / 0.907 / "
        "0.906 / 0.913 / 0.906 with half / rectangle / blocks / strokes / square holes. `predict` reads each item and its "
        "mirror image (`mirror_invariant`: it was trained on mirrored items) and names the class likeliest under both "
        "views; reading one view, these weights score 0.9389 on whole items and 0.8816 / 0.9269 / 0.9243 / 0.9293 / "
        "0.9262 with the holes above.",
    ),
    "fashion-ebgan": Recipe(
        "gan",
        "class-conditional energy-based GAN (autoencoder cost, margin m = 30, pulling-away term 0.1)",
        dict(objective="energy", margin=30.0, pull_away_weight=0.1),
        epochs=8,
        batch_size=128,
        learning_rate=2e-4,
        betas=(0.5, 0.999),
        compare_with=["fashion-dcgan"],
        notes=GAN_NOTE,
    ),
    "emoji-classifier-32": Recipe(
        "classifier",
        "evaluation classifier of the emoji's Unicode groups (4 conv layers, 128-d features), on 32-px colour emoji",
        {},
        epochs=40,
        batch_size=64,
        cosine_schedule=True,
        dataset="emoji-32",
        notes="Held-out accuracy per group (372 held-out emoji; how many in brackets): Smileys & Emotion 0.83 (18), "
        "People & Body 1.00 (237), Animals & Nature 0.63 (8), Food & Drink 0.50 (14), Travel & Places 0.59 (17), "
        "Activities 0.00 (2), Objects 0.48 (31), Symbols 1.00 (19), Flags 1.00 (26). The time above was on 2 CPU "
        "cores shared with a diffusion run. Preview: held-out emoji in the order of the group the model names.",
    ),
    "emoji-dcgan-32": Recipe(
        "gan",
        "class-conditional non-saturating GAN (DCGAN objective, projection discriminator) of 32-px colour emoji, "
        "conditioned on Unicode's 9 groups, DiffAugment (colour, translation, cutout) in the game",
        dict(objective="nonsaturating", generator_channels=[192, 96], cost_channels=[64, 128]),
        epochs=300,
        batch_size=64,
        learning_rate=2e-4,
        betas=(0.5, 0.999),
        diff_augment="color,translation,cutout",
        fake_labels_from_data=True,
        dataset="emoji-32",
    ),
    "emoji-vae-32": Recipe(
        "vae",
        "two-stage VAE (Dai & Wipf 2019) of 32-px colour emoji: convolutional first stage, d = 64, beta = 0.1, then "
        "an MLP VAE (3 x 384) on its codes; samples u ~ N(0, I) -> z -> x",
        dict(latent_dim=64, beta=0.1, second_stage_hidden_size=384, second_stage_layers=3, num_classes=0),
        epochs=100,
        second_stage_epochs=200,
        batch_size=64,
        dataset="emoji-32",
    ),
    "fashion-dcgan": Recipe(
        "gan",
        "class-conditional non-saturating GAN (DCGAN objective, projection discriminator), same generator",
        dict(objective="nonsaturating"),
        epochs=8,
        batch_size=128,
        learning_rate=2e-4,
        betas=(0.5, 0.999),
        compare_with=["fashion-ebgan"],
        notes=GAN_NOTE,
    ),
    **{
        f"fashion-sr-x{scale}{'-gan' if adv else ''}": Recipe(
            "super_resolution",
            f"x{scale} super-resolution ({28 // scale}x{28 // scale} -> 28x28), residual CNN over "
            f"bicubic, L1 loss{' + adversarial term (weight 2, srez)' if adv else ' only'}",
            dict(scale=scale, hidden_channels=32, num_layers=5, adversarial_weight=2.0 if adv else 0.0),
            epochs=2,
            compare_with=[f"fashion-sr-x{scale}{'' if adv else '-gan'}"],
        )
        for scale in (2, 4)
        for adv in (False, True)
    },
    "emoji-sr-x2": Recipe(
        "super_resolution",
        "x2 super-resolution of colour emoji (16x16 -> 32x32): residual CNN over bicubic (48 channels, 6 layers, "
        "leaky ReLUs), YCbCr in and out, L1 loss",
        dict(scale=2, num_channels=3, hidden_channels=48, num_layers=6, negative_slope=0.2, colour_space="ycbcr"),
        epochs=60,
        batch_size=64,
        dataset="emoji-32",
    ),
    "photo-sr-x2": Recipe(
        "super_resolution",
        "x2 super-resolution of colour photos: residual CNN over bicubic (48 channels, 6 layers, leaky ReLUs), "
        "YCbCr in and out, the input less its mean; L1 on 48-px crops of 16 scikit-image photos that are not "
        "the Space's examples; the internal method starts from it",
        dict(
            scale=2,
            num_channels=3,
            hidden_channels=48,
            num_layers=6,
            negative_slope=0.1,
            centre_input=True,
            colour_space="ycbcr",
        ),
        epochs=12000,  # steps
        batch_size=16,
        dataset="photos",
        notes=(
            "Trained for 12,000 steps (16 crops each) on scikit-image's bundled photos and scans other than the six "
            "it is measured on (`genhub.data.TRAIN_PHOTOS`). Alone it is a learned x2 model for photos; "
            '`super_resolve(..., method="internal", model=...)` fine-tunes it on each image first (ZSSR started '
            "from a trained net, as in Soh et al. 2020), the Space's default."
        ),
    ),
    **{
        f"{gan}-walks": Recipe(
            "walks",
            f"steerable fine-tune of `{gan}` jointly with linear walks (fixed length 6) for "
            "the six edits: real images edited the same way in the adversarial game, "
            f"relative masked-L2 walk loss (weight {weight}), EMA of the generator "
            "(decay 0.999); rewrites the generator's checkpoint and writes the walks",
            {"generator_name": gan, "walk_weight": weight},
            epochs=steps,
            batch_size=512,
            learning_rate=4e-4,
            betas=(0.5, 0.999),
        )
        for gan, weight, steps in (("fashion-ebgan", 25.0, 6230), ("fashion-dcgan", 6.0, 6666))
    },
    "fashion-diffusion": Recipe(
        "diffusion",
        "class-conditional denoising diffusion model (DDPM objective, cosine schedule, T = 1000): a diffusers "
        "UNet2DModel (widths 16 / 32 / 64 at 28 / 14 / 7 px, self-attention at 7 px, 0.7M parameters) with a class "
        "embedding and a null class for classifier-free guidance (labels dropped with p = 0.1); EMA of the weights "
        "(decay 0.999)",
        dict(block_out_channels=[16, 32, 64], attention_levels=[2], class_dropout=0.1),
        epochs=16,
        batch_size=128,
        learning_rate=1e-3,
        cosine_schedule=True,
        ema_decay=0.999,
        compare_with=["fashion-dcgan", "fashion-ebgan"],
        notes="The shipped weights are the EMA after the recipe's 16 epochs, trained in two runs on 2 CPU cores shared "
        "with other work: epochs 1-11 (87 min), then 12-16 resumed from the state saved after epoch 11 "
        "(`--resume-from-checkpoint runs/fashion-diffusion/epoch_10`, 37 min; the time above is this second run's); "
        "on quiet cores an epoch takes about 2.5 min. The five last epochs changed little (2,000-sample FID 52.1 after "
        "11 epochs, 52.3 after 16; class accuracy 0.961 and 0.968; recall 0.694 and 0.710): this small UNet, not its "
        "training time, is what limits it. "
        'Sampling uses diffusers\' ancestral DDPM sampler (`sampler="ddpm"`, 20 of the 1,000 steps) with '
        "guidance scale 1.5 unless told otherwise; `dpm_solver`, `ddim` and `euler_ancestral` load from the same "
        "schedule. The cosine schedule's last steps have alpha_bar ~ 0, where an eps-prediction's x_0 is noise, so "
        "every sampler starts one stride below T (diffusers' `leading` spacing) with x_0 clipped (thresholded for "
        "DPM-Solver); started at T (`linspace`) the deterministic samplers drew noise. The figures are on the card's "
        "default sampler and steps; `bench/results/diffusion.md` has FID and milliseconds per image against the "
        "number of steps for two samplers.",
    ),
    "fashion-text-gan": Recipe(
        "text_gan",
        "caption-to-image GAN-INT-CLS: word-level text encoder trained first as a "
        "joint image-text embedding (InfoNCE) with the colour tint regressed on the captions' colours, then "
        "frozen; the generator draws a grey shape that the tint colours; matching-aware "
        "discriminator; interpolated text embeddings for the generator; "
        "R1 penalty (gamma 0.1) on real pairs in a discriminator step of its own; "
        "EMA of the generator (decay 0.999), its batch-norm statistics measured again after training; the "
        "generator restarts after 16 GAN epochs from fashion-dcgan's (its class embedding reached from phi(t) by a "
        "least-squares affine map)",
        {"tint": True, "latent_dim": 64},
        epochs=20,
        batch_size=128,
        learning_rate=2e-4,
        betas=(0.5, 0.999),
        warmup_epochs=2,
        r1_weight=0.1,
        init_generator="fashion-dcgan",
        init_generator_after=16,
        notes="Why the generator restarts: the game from scratch leaves speckled, streaky shapes (the release before, "
        "16 GAN epochs on a GPU: per-class FID 138.7 / 142.1 / 145.8; the same recipe at seeds 1 and 2: 199 and 203 "
        "on the seen set), while fashion-dcgan's generator, the same network conditioned on the class, scores 78 / 82 "
        "/ 51 on the same sets with the class given. Folding the least-squares map phi(t) -> class embedding into its "
        "conditioning layers gives 108.5 / 137.2 / 91.7 before any training, but class accuracy 0.862 on the seen set "
        "(the map is approximate: its residual is 4% of the embeddings' mean square). The fine-tune needs a "
        "discriminator that has played the game (scratch runs on 2 CPU cores, seen set): with the previous "
        "release's discriminator, FID 97 after one epoch and 83 after three, class accuracy up to 0.914; with a "
        "fresh discriminator, 122 after one epoch and 145 after two; with a fresh one trained alone for one epoch "
        "first, 110 then 120. So the recipe plays 16 GAN epochs from scratch and then restarts the generator for 4 "
        "more at half the learning rate (a new moving average and fresh Adam moments), the discriminator carrying "
        "on. "
        "R1's strength and the seed, measured on a GPU in the game from scratch: bench/results/captions.md.",
    ),
}


CLASSIFIER = "fashion-classifier"  # the evaluation classifier GAN recipes are measured with
