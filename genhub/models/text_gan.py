"""Caption to image: a text encoder and a text-conditioned GAN (GAN-INT-CLS, Reed et al. 2016).

    text encoder   phi(t) = normalise(MLP(mean of word embeddings))              (a word-level tokenizer)
                   at inference unknown words ([UNK]) are left out of the mean: they carry no information
    joint embedding (trained first, then phi is frozen):  symmetric InfoNCE between phi(t) and psi(x)
    generator      x_hat = G(z, phi(t))                 conditional batch norm on [z, phi(t)]
                   tint mode (default of new models): x_hat = g(z, phi(t)) * c(phi(t)), a grey shape g in [0, 1]
                   times one RGB colour c = sigmoid(MLP(phi(t))) regressed on the captions' colours while the
                   joint embedding trains, then frozen (no per-pixel colour noise; the colour is smooth in phi)
    matching-aware discriminator (GAN-CLS), D(x, t) = w^T f(x) + (P phi(t))^T f(x):
        L_D = softplus(-D(x, t)) + 1/2 [softplus(D(x, t_wrong)) + softplus(D(G(z, t), t))]
        then, in its own step, gamma/2 E ||grad_x D(x, t)||^2 on real pairs (R1, Mescheder et al. 2018)
    generator with interpolated embeddings (GAN-INT), phi_b = b phi(t1) + (1 - b) phi(t2), b ~ U(0, 1):
        L_G = softplus(-D(G(z, t), t)) + softplus(-D(G(z, phi_b), phi_b))
Source: Canziani, Foundations of Deep Learning, "Caption to image" slide (../shared/lecture).
"""

from __future__ import annotations

import numbers
import re
import unicodedata

import torch
import torch.nn.functional as F
from PIL import ImageColor
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerFast

from ..images import as_output
from .ebgan import truncated_normal
from .layers import ConditionalGenerator, ConvEncoder

MAX_CAPTION_CHARS = 200  # longer captions are refused
MAX_IMAGES = 256  # most images one generate() call makes
SPECIAL_TOKENS = ["[PAD]", "[UNK]"]
COLOUR_NAMES = frozenset(ImageColor.colormap) | {"beige", "burgundy", "mauve", "lilac", "teal", "khaki", "cream"}


def build_tokenizer(vocab: list[str], max_length: int) -> PreTrainedTokenizerFast:
    """Word-level tokenizer: NFKC + lower case, split on whitespace and punctuation, unknown words -> [UNK]."""
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    core.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    core.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Punctuation()])
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="[PAD]", unk_token="[UNK]", model_max_length=max_length
    )


def vocabulary(captions: list[str]) -> list[str]:
    """The words of the captions, as the tokenizer splits them, after the special tokens."""
    splitter = build_tokenizer(SPECIAL_TOKENS, 8).backend_tokenizer
    words = {
        w for c in captions for w, _ in splitter.pre_tokenizer.pre_tokenize_str(splitter.normalizer.normalize_str(c))
    }
    return SPECIAL_TOKENS + sorted(words)


def clean_caption(caption) -> str:
    """Control characters become spaces; empty or over-long captions raise ValueError."""
    if not isinstance(caption, str):
        raise ValueError(f"captions must be strings, got {type(caption).__name__}")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in caption).strip()
    if not text:
        raise ValueError("the caption is empty: describe an item, e.g. 'a red dress'")
    if len(text) > MAX_CAPTION_CHARS:
        raise ValueError(f"the caption has {len(text)} characters; at most {MAX_CAPTION_CHARS} are accepted")
    return text


class TextGANConfig(PretrainedConfig):
    model_type = "genhub_text_gan"

    def __init__(
        self,
        vocab: list[str] | None = None,  # the tokenizer's words, index = token id; the first two are [PAD], [UNK]
        max_caption_tokens: int = 16,  # tokens per caption (longer ones are truncated)
        word_dim: int = 64,  # word embedding size
        text_embed_dim: int = 64,  # size of phi(t), the joint embedding
        latent_dim: int = 32,  # size of z
        num_channels: int = 3,  # image channels
        generator_channels: tuple[int, int] | list[int] = (128, 64),  # generator widths at 7x7 and 14x14
        cost_channels: tuple[int, int] | list[int] = (32, 64),  # discriminator / image encoder widths
        cost_code_dim: int = 64,  # size of the discriminator's image features f(x)
        contrastive_temperature: float = 0.1,  # of the joint embedding's InfoNCE
        tint: bool = False,  # True: a grey shape times one colour predicted from the caption (see the module doc)
        colour_words: dict[str, list[str]] | None = None,  # colour -> its words in training (others: unknown)
        **kwargs,
    ):
        vocab = list(vocab) if vocab is not None else list(SPECIAL_TOKENS)
        if vocab[:2] != SPECIAL_TOKENS:
            raise ValueError(f"vocab must start with {SPECIAL_TOKENS}")
        if min(max_caption_tokens, word_dim, text_embed_dim, latent_dim, num_channels, cost_code_dim) < 1:
            raise ValueError("sizes must be positive")
        if not contrastive_temperature > 0:
            raise ValueError(f"contrastive_temperature must be > 0, got {contrastive_temperature}")
        self.vocab = vocab
        self.max_caption_tokens = max_caption_tokens
        self.word_dim = word_dim
        self.text_embed_dim = text_embed_dim
        self.latent_dim = latent_dim
        self.num_channels = num_channels
        self.generator_channels = list(generator_channels)
        self.cost_channels = list(cost_channels)
        self.cost_code_dim = cost_code_dim
        self.contrastive_temperature = float(contrastive_temperature)
        self.tint = bool(tint)
        if isinstance(colour_words, (list, tuple)):  # a plain list: each word its own colour
            colour_words = {w: [w] for w in colour_words}
        self.colour_words = dict(colour_words) if colour_words is not None else None
        super().__init__(**kwargs)


class TextEncoder(nn.Module):
    """token ids (N, L) + attention mask -> phi(t) (N, text_embed_dim), unit length."""

    def __init__(self, config: TextGANConfig):
        super().__init__()
        self.words = nn.Embedding(len(config.vocab), config.word_dim, padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(config.word_dim, 128), nn.ReLU(), nn.Linear(128, config.text_embed_dim))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.unsqueeze(-1).to(self.words.weight.dtype)  # (N, L, 1), in the model's dtype
        mean = (self.words(input_ids) * mask).sum(1) / mask.sum(1).clamp_min(1)  # (N, word_dim)
        return F.normalize(self.mlp(mean), dim=1)


class TextGAN(PreTrainedModel):
    config_class = TextGANConfig
    base_model_prefix = "text_gan"
    main_input_name = "latents"
    capabilities = frozenset({"caption"})  # genhub.models.CAPABILITIES

    def __init__(self, config: TextGANConfig):
        super().__init__(config)
        channels = tuple(config.cost_channels)
        self.tokenizer = build_tokenizer(config.vocab, config.max_caption_tokens)
        self.text_encoder = TextEncoder(config)
        self.image_encoder = ConvEncoder(config.num_channels, channels, config.text_embed_dim)  # psi(x)
        self.generator = ConditionalGenerator(
            config.latent_dim + config.text_embed_dim,
            tuple(config.generator_channels),
            1 if config.tint else config.num_channels,
        )
        if config.tint:  # c(phi(t)): the caption's colour
            self.tint_head = nn.Sequential(
                nn.Linear(config.text_embed_dim, 64), nn.ReLU(), nn.Linear(64, config.num_channels)
            )
        self.discriminator = ConvEncoder(config.num_channels, channels, config.cost_code_dim)  # f(x)
        self.logit = nn.Linear(config.cost_code_dim, 1)  # w
        self.text_projection = nn.Linear(config.text_embed_dim, config.cost_code_dim, bias=False)  # P
        self.post_init()

    def tokenize(self, captions: list[str]) -> dict[str, torch.Tensor]:
        """Token ids and attention mask for captions at inference. Unknown words ([UNK]) are masked out of the
        mean: they carry no information, and the generator only ever saw captions without them (on held-out
        phrasings this took per-class FID from 266 to 142; training tokenizes with `self.tokenizer` directly)."""
        texts = [clean_caption(c) for c in captions]
        batch = self.tokenizer(texts, padding="max_length", truncation=True, return_tensors="pt")
        known = batch["input_ids"] != self.tokenizer.unk_token_id
        return {
            "input_ids": batch["input_ids"].to(self.device),
            "attention_mask": (batch["attention_mask"] * known).to(self.device),
        }

    def unknown_words(self, caption: str) -> list[str]:
        """The words of a caption the tokenizer does not know (they become [UNK] and are left out of phi(t): they
        carry no information); punctuation is not counted."""
        backend = self.tokenizer.backend_tokenizer
        words = backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(clean_caption(caption)))
        return [w for w, _ in words if w not in self.tokenizer.vocab and any(ch.isalnum() for ch in w)]

    def unknown_colours(self, caption: str) -> list[str]:
        """Colour names in a caption (CSS/X11 names and a few more, e.g. 'magenta', 'beige') that the model was
        not trained on as colours: it cannot show them."""
        if self.config.colour_words is None:  # an older model: every colour name outside its vocabulary
            known = {w for w in self.tokenizer.vocab if w in COLOUR_NAMES}
        else:
            known = {w for words in self.config.colour_words.values() for w in words}
        words = re.findall(r"[a-z]+", unicodedata.normalize("NFKC", clean_caption(caption)).lower())
        return sorted({w for w in words if w in COLOUR_NAMES and w not in known})

    def tint_of(self, text_embeddings: torch.Tensor) -> torch.Tensor:
        """c(phi(t)) (N, C) in [0, 1]: the colour a tint model gives the captions."""
        return torch.sigmoid(self.tint_head(text_embeddings))

    def encode_text(self, captions: list[str]) -> torch.Tensor:
        """phi(t) (N, text_embed_dim) for a list of captions."""
        return self.text_encoder(**self.tokenize(captions))

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """psi(x) (N, text_embed_dim), unit length, for images in [0, 1]."""
        return F.normalize(self.image_encoder(images * 2 - 1), dim=1)

    def contrastive_loss(self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        """Symmetric InfoNCE of the joint embedding (matching pairs on the diagonal)."""
        logits = (
            self.encode_image(images)
            @ self.text_encoder(input_ids, attention_mask).t()
            / self.config.contrastive_temperature
        )
        target = torch.arange(len(images), device=images.device)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2

    def discriminate(self, images: torch.Tensor, text_embeddings: torch.Tensor) -> torch.Tensor:
        """D(x, t) (N,) for images in [0, 1]: w^T f(x) + (P phi(t))^T f(x)."""
        f = F.leaky_relu(self.discriminator(images * 2 - 1), 0.2)
        return self.logit(f)[:, 0] + (self.text_projection(text_embeddings) * f).sum(1)

    def forward(self, latents: torch.Tensor, text_embeddings: torch.Tensor) -> torch.Tensor:
        """G(z, phi(t)) in [0, 1], with gradients (for training)."""
        images = (self.generator(torch.cat([latents, text_embeddings], dim=1)) + 1) / 2
        if self.config.tint:
            return images * self.tint_of(text_embeddings)[:, :, None, None]
        return images

    def discriminator_loss(self, real, fake, text, wrong_text) -> torch.Tensor:
        """(1) GAN-CLS: real + right text is real; real + wrong text and fake + right text are fake."""
        return F.softplus(-self.discriminate(real, text)).mean() + 0.5 * (
            F.softplus(self.discriminate(real, wrong_text)).mean()
            + F.softplus(self.discriminate(fake.detach(), text)).mean()
        )

    def r1_penalty(self, real: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """(1b) R1 (Mescheder et al. 2018): 1/2 E ||grad_x D(x, t)||^2 on real images with their captions, which
        keeps the discriminator smooth where the data is (without it, longer runs drift into speckle)."""
        real = real.detach().requires_grad_(True)
        scores = self.discriminate(real, text)
        (grad,) = torch.autograd.grad(scores.sum(), real, create_graph=True)
        # + 0 x the scores: every discriminator weight (the logit's bias too) is in the graph, as DDP expects
        return grad.pow(2).flatten(1).sum(1).mean() / 2 + 0 * scores.sum()

    def generator_loss(self, fake, text, fake_interpolated, interpolated_text) -> torch.Tensor:
        """(2) non-saturating loss on the captions' images and on those of interpolated embeddings (GAN-INT)."""
        return (
            F.softplus(-self.discriminate(fake, text)).mean()
            + F.softplus(-self.discriminate(fake_interpolated, interpolated_text)).mean()
        )

    @torch.no_grad()
    def generate(
        self,
        captions: list[str] | str,
        num_images_per_caption: int = 1,
        generator: torch.Generator | None = None,
        latents: torch.Tensor | None = None,
        truncation: float = 1.0,
        text_embeddings: torch.Tensor | None = None,
        output_type: str = "pt",
        return_dict: bool = False,
        num_images_per_prompt: int | None = None,
    ):
        """Images (len(captions) * num_images_per_caption, C, 28, 28) in [0, 1], caption-major order.
        `text_embeddings` (N, text_embed_dim) may replace captions (e.g. to interpolate between two).
        diffusers' names work too: num_images_per_prompt, output_type ("pt", "np", "pil"), return_dict (`.images`)."""
        if num_images_per_prompt is not None:
            num_images_per_caption = num_images_per_prompt
        if isinstance(num_images_per_caption, numbers.Integral) and not isinstance(num_images_per_caption, bool):
            num_images_per_caption = int(num_images_per_caption)
        if text_embeddings is None:
            captions = [captions] if isinstance(captions, str) else list(captions)
            if not captions:
                raise ValueError("give at least one caption")
            text_embeddings = self.encode_text(captions)
        if (
            isinstance(num_images_per_caption, bool)
            or not isinstance(num_images_per_caption, int)
            or not 1 <= num_images_per_caption <= MAX_IMAGES
        ):
            raise ValueError(f"num_images_per_caption must be an integer in 1..{MAX_IMAGES}")
        text = text_embeddings.repeat_interleave(num_images_per_caption, 0)
        if len(text) > MAX_IMAGES:
            raise ValueError(f"at most {MAX_IMAGES} images per call, asked for {len(text)}")
        if latents is None:
            latents = truncated_normal((len(text), self.config.latent_dim), truncation, generator, self.device)
        elif latents.shape != (len(text), self.config.latent_dim) or not torch.isfinite(latents).all():
            raise ValueError(f"latents must be finite, of shape ({len(text)}, {self.config.latent_dim})")
        images = self(latents.to(self.device, self.dtype), text.to(self.dtype)).float()
        return as_output(images, output_type, return_dict)
