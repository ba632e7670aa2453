"""The prose of the model cards, per family: how to read the figures, how to use the model (a snippet that runs
as written), the pipeline tag, and what data a family trained on when it is not plain Fashion-MNIST."""

CARD_TEXT = {  # family -> (how to read the figures, how to use it, pipeline tag)
    "autoencoder": (
        "`loss`: the model's reconstruction loss (BCE, nats/image) on clean test images; `loss_<noise>`: "
        "the same loss against the clean image when the input is corrupted (level 0.5); "
        "`jacobian_frobenius_sq`: mean ||dh/dx||_F^2 (smaller = more contractive).",
        "from genhub.images import example_items\n\n"
        'images, _ = example_items()  # Fashion-MNIST test items bundled with genhub\nmodel = genhub.load_model("{name}")\n'
        "x_hat = model.decode(model.encode(images))  # (N, 1, 28, 28) in [0, 1]",
        "image-to-image",
    ),
    "vae": (
        "`negative_elbo` = `reconstruction` + `kl` in nats/image (beta = 1, one z sample); `objective` is what "
        "training minimised (reconstruction + beta * KL); `active_units`: latent dims with Var E(z) > 0.01; "
        "`sample_fid`: classifier-FID of 10,000 samples against the 10,000 test images (the evaluation "
        "classifier's 128-d features, the GANs' scale; a two-stage VAE also through its first stage alone, "
        "`sample_fid_first_stage_prior`, and its bound with the second stage as the prior of z, "
        "`negative_elbo_two_stage_prior`).",
        'vae = genhub.load_model("{name}")\nimages = vae.generate(16, generator=torch.Generator().manual_seed(0))',
        "unconditional-image-generation",
    ),
    "classifier": (
        "Accuracy on the 10,000 test images; `worst_class_accuracy`: the lowest per-class accuracy.",
        "from genhub.images import example_items\n\n"
        'images, _ = example_items()  # Fashion-MNIST test items bundled with genhub\nclf = genhub.load_model("{name}")\n'
        "labels = clf.predict(images)\nfeatures = clf.features(images)",
        "image-classification",
    ),
    "gan": (
        "On 10,000 samples (1,000 per class) against the 10,000 test images, in the evaluation classifier's "
        "128-d feature space: `fid` (classifier-FID; `fid_floor`: 10,000 train images vs test), "
        "`conditional_accuracy` (classifier agrees with the requested class; floor: the classifier's test "
        "accuracy), `mode_kl` (KL of the class histogram of 10,000 unconditional samples to the test set's; "
        "0 = all modes in proportion), k-NN `precision`/`recall` (k = 3, 5,000 each; with real-vs-real floors).",
        'gan = genhub.load_model("{name}")\nimages = gan.generate(16, class_labels="Sneaker", truncation=0.8,\n'
        "                      generator=torch.Generator().manual_seed(0))",
        "unconditional-image-generation",
    ),
    "diffusion": (
        "On 2,000 samples (200 per class; 20 ancestral DDPM steps, guidance scale 1.5) against the 10,000 test "
        "images, in the evaluation classifier's 128-d feature space, measured as for the GANs: `fid` "
        "(classifier-FID; `fid_floor`: train images vs test), `conditional_accuracy`, `mode_kl` (2,000 samples of "
        "random classes), k-NN `precision`/`recall` (k = 3). Fewer samples bias FID upwards: "
        "`bench/results/diffusion.md` gives 10,000-sample figures and the steps/sampler trade-off.",
        'model = genhub.load_model("{name}")\nimages = model.generate(\n    16, class_labels=7, num_inference_steps=20, '
        "guidance_scale=1.5, generator=torch.Generator().manual_seed(0)\n)",
        "unconditional-image-generation",
    ),
    "walks": (
        "Per edit and alpha, on 200 generated images of random classes: `relative_l2`, per image the masked L2 "
        "distance between G(z + a w) and edit(G(z), alpha) over that between G(z) and the edit, the median over the "
        "images (1 = no better than not moving, 0 = the edit exactly; not squared); `target` and `achieved`, the "
        "median change of the stated measure (image moments) on the edited and on the walked images; `class_accuracy`"
        ", the evaluation classifier's agreement with the class along the walk. The `projected` columns (on 100 "
        "images): the walked codes refined by 100 Adam steps towards the target (`project_steps=100`, the Space's "
        "default), what this generator can reach of the edit. Where `achieved` falls short of `target` is the limit "
        "of steerability (Jahanian 2019, sec. 4).",
        'from genhub.operations import steer\n\ngan = genhub.load_model("{generator}")  # its walks load with it\n'
        'images = steer(gan, "zoom", 1.5, class_labels="Sneaker", generator=torch.Generator().manual_seed(0), '
        "project_steps=100)",
        "unconditional-image-generation",
    ),
    "text_gan": (
        "Per evaluation set (captions of Fashion-MNIST test items, colourised): `class_accuracy`, the "
        "evaluation classifier on the generated items' grey level vs the requested class; `colour_accuracy`, "
        "the dominant colour from the pixels vs the requested palette colour; `per_class_fid`, classifier-FID "
        "against real test items of the class, averaged over classes; `r_precision`, the true caption ranked "
        "first among 100 in the joint embedding. `held_out_phrasing` uses templates never seen in training "
        "(unknown words become [UNK], left out of phi(t)); `held_out_pairs` asks for colour x class pairs never seen "
        "in training.",
        'txt = genhub.load_model("{name}")\nimages = txt.generate(["a red dress"], num_images_per_caption=4, '
        "generator=torch.Generator().manual_seed(0))",
        "text-to-image",
    ),
    "super_resolution": (
        "PSNR (dB) and SSIM over the 10,000 test images, each downscaled by the factor (antialiased "
        "bicubic) and restored, against the original; `*_bicubic`: bicubic upscaling, the baseline. "
        "Preview rows: bicubic, this model, original.",
        "from genhub.images import example_items\nfrom genhub.models.super_resolution import bicubic\n"
        'from genhub.operations import super_resolve\n\nsr = genhub.load_model("{name}")\n'
        "images, _ = example_items()  # Fashion-MNIST test items bundled with genhub\n"
        "low = bicubic(images, (28 // sr.config.scale, 28 // sr.config.scale))\n"
        'high = super_resolve(low, scale=sr.config.scale, method="learned", model=sr)',
        "image-to-image",
    ),
    "super_resolution/photos": (
        "PSNR (dB) of this model alone on the Space's six example photos (scikit-image's camera, astronaut, "
        "coffee, chelsea, rocket and moon, never trained on; 256-px centre crops downscaled x2, antialiased bicubic) "
        "against bicubic's (`psnr_bicubic_*`); `mean_gain_db` and `least_gain_db` over the six. Started from and "
        "fine-tuned on each image (the internal method) it gains more: bench/results/super_resolution.md. Preview "
        "columns: bicubic, this model, original (96-px crops).",
        "from genhub.images import example_photo\nfrom genhub.models.super_resolution import bicubic\n"
        'from genhub.operations import super_resolve\n\nsr = genhub.load_model("{name}")\n'
        'photo = example_photo("chelsea", 256)  # a photo bundled with scikit-image\n'
        "low = bicubic(photo, (128, 128))\n"
        'alone = super_resolve(low, scale=2, method="learned", model=sr)\n'
        'tuned = super_resolve(low, scale=2, method="internal", model=sr, steps=100)  # fine-tuned on the photo',
        "image-to-image",
    ),
    "super_resolution/emoji-32": (
        "PSNR (dB) and SSIM in RGB over the 372 held-out emoji (every tenth name, never trained on), each downscaled "
        "x2 (antialiased bicubic) and restored, against the original; `*_bicubic`: bicubic upscaling, the baseline. "
        "Preview rows: bicubic, this model, original.",
        "from genhub.emoji import load_emoji\nfrom genhub.models.super_resolution import bicubic\n"
        'from genhub.operations import super_resolve\n\nsr = genhub.load_model("{name}")\n'
        'emoji = load_emoji("test", 32)["images"][:8]  # held-out emoji, rendered from Noto Color Emoji\n'
        "low = bicubic(emoji, (16, 16))\n"
        'high = super_resolve(low, scale=2, method="learned", model=sr)  # (8, 3, 32, 32)',
        "image-to-image",
    ),
    "classifier/emoji-32": (
        "Accuracy on the held-out emoji (every tenth name, never trained on) by Unicode group; "
        "`balanced_accuracy`: the mean of the 9 groups' accuracies (People & Body holds most emoji); "
        "`worst_class_accuracy`: the lowest group's. A colour generator is measured in its features.",
        "from genhub.emoji import load_emoji\n\n"
        'emoji = load_emoji("test", 32)  # held-out names, rendered from Debian\'s Noto Color Emoji\n'
        'clf = genhub.load_model("{name}")\n'
        'groups = [clf.config.class_names[i] for i in clf.predict(emoji["images"])]',
        "image-classification",
    ),
    "gan/emoji-32": (
        "On 10,000 samples (groups asked for as often as among the held-out emoji) against the 372 held-out emoji "
        "(every tenth name, never trained on), in the emoji evaluation classifier's 128-d features: `fid` "
        "(classifier-FID; `fid_floor`: 372 training emoji, every eighth, against the held-out ones: so few "
        "emoji make both high and the floor no lower bound), `conditional_accuracy` (the classifier reads the group asked "
        "for; floor: its held-out accuracy), `mode_kl`, k-NN `precision`/`recall` (k = 3). "
        "`bench/results/colour.md` measures against the whole rendered set, beside its two floors (the set's halves, "
        "the set blurred) and how far each sample is from its nearest training emoji (copying).",
        'gan = genhub.load_model("{name}")\nimages = gan.generate(\n    16, class_labels="Animals & Nature", '
        "generator=torch.Generator().manual_seed(0)\n)  # (16, 3, 32, 32) in [0, 1]",
        "unconditional-image-generation",
    ),
    "vae/emoji-32": (
        "On the 372 held-out emoji (every tenth name, never trained on): `negative_elbo` = `reconstruction` + `kl` in "
        "nats/image (beta = 1, one z sample), `objective` what training minimised, `active_units` (latent dims with "
        "Var E(z) > 0.01); `sample_fid`: classifier-FID of 10,000 samples against the held-out emoji in the emoji evaluation "
        "classifier's features (`sample_fid_first_stage_prior`: through the first stage alone). "
        "`bench/results/colour.md` measures against the whole rendered set, beside its floors, with copying distances.",
        'vae = genhub.load_model("{name}")\nimages = vae.generate(16, generator=torch.Generator().manual_seed(0))'
        "  # (16, 3, 32, 32)",
        "unconditional-image-generation",
    ),
}

HISTORY_UNIT = {"walks": "500 steps", "super_resolution/photos": "1,000 steps"}  # the card's train-loss unit


PARTIAL_VIEW_USE = (  # a classifier of partly hidden items: the mask goes with the images
    "from genhub.images import example_items, random_holes\n\n"
    "images, _ = example_items()  # Fashion-MNIST test items bundled with genhub\n"
    'mask = random_holes(len(images), generator=torch.Generator().manual_seed(0), kind="half")  # 1 = hidden\n'
    'clf = genhub.load_model("{name}")\n'
    "labels = clf.predict(images, mask=mask)  # the class of each partly hidden item"
)


EMOJI_DATA_TEXT = (
    "Unicode's fully-qualified emoji (`emoji-test.txt`, Debian `unicode-data`; the Component group left out) drawn "
    "from Debian's `fonts-noto-color-emoji` (Noto Color Emoji, 109-px colour bitmaps), on white, box-filtered to "
    "32 x 32 RGB (`genhub.emoji`); labels: Unicode's 9 groups. Every tenth name (a fixed hash of the name) is held "
    "out as the test split."
)

DATA_TEXT = {
    "text_gan": "Fashion-MNIST train items tinted with one of 12 palette colours (`genhub.data.PALETTE`, "
    "black, grey and brown included: the item's grey level, stretched to peak at 1, scales the colour, on black) "
    "and captioned from class and colour with 10 templates and synonyms (`black` is only ever a colour); "
    "3 more templates and 5 colour x class pairs (`HELD_OUT_PAIRS`) never appear in training. Figures on the "
    "test items.",
    "walks": "Fashion-MNIST train images (60,000), each batch also edited by the six edits of "
    "`genhub.models.walks` (random alpha over each range) as the real side of the adversarial game; "
    "the walk targets are the edits applied to the generator's own samples.",
    "classifier/emoji-32": EMOJI_DATA_TEXT,
    "vae/emoji-32": EMOJI_DATA_TEXT,
    "super_resolution/emoji-32": EMOJI_DATA_TEXT,
    "gan/emoji-32": EMOJI_DATA_TEXT + " In the game, real and generated images alike pass through DiffAugment "
    "(`genhub.train.augment`: colour, translation by up to 4 px, a 16-px cutout) before the discriminator.",
    "super_resolution/photos": "scikit-image's bundled photos and scans other than the six example photos "
    "(`genhub.data.TRAIN_PHOTOS`: 16 images, 102 to 1,411 px a side, 9 grey and 7 colour), each with copies at 3/4 and "
    "1/2 size; crops drawn by gradient energy, flipped and rotated. Figures on the six example photos.",
}
