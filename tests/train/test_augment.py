"""DiffAugment in the GAN game (genhub.train.augment): each transformation does what it says, draws only from the
generator it is given, lets the generator's gradients through, and the classes asked of the generator can follow the
data's."""

import pytest
import torch

from genhub.emoji import load_emoji
from genhub.train.augment import check_policy, diff_augment, fake_labels


@pytest.fixture(scope="module")
def emoji():
    return load_emoji("test", 32, limit=16)["images"]


def test_the_same_draws_give_the_same_augmentation_and_other_draws_another(emoji):
    policy = check_policy("color,translation,cutout")
    a = diff_augment(emoji, policy, torch.Generator().manual_seed(3))
    b = diff_augment(emoji, policy, torch.Generator().manual_seed(3))
    c = diff_augment(emoji, policy, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == emoji.shape and not torch.equal(a, emoji)
    assert diff_augment(emoji, (), torch.Generator()) is emoji  # no policy: the images themselves


def test_gradients_reach_the_images_through_every_part(emoji):
    x = emoji.clone().requires_grad_(True)
    diff_augment(x, check_policy("color,translation,cutout"), torch.Generator().manual_seed(0)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_moves_by_whole_pixels_and_extends_the_white_background():
    image = torch.ones(64, 3, 32, 32)
    image[:, :, 14:18, 14:18] = 0  # a black 4x4 square in the middle
    moved = diff_augment(image, ("translation",), torch.Generator().manual_seed(0))
    assert torch.equal(moved.unique(), torch.tensor([0.0, 1.0]))  # no blur, no black border
    assert torch.equal((moved == 0).flatten(1).sum(1), torch.full((64,), 3 * 16))  # the square whole, moved
    centres = torch.stack([(m[0] == 0).nonzero().float().mean(0) for m in moved])
    assert (centres - 15.5).abs().max() <= 4 and centres.std(0).min() > 1  # up to 1/8 of the side, varied


def test_cutout_blanks_a_square_of_half_the_side_in_each_image():
    out = diff_augment(torch.ones(8, 3, 32, 32), ("cutout",), torch.Generator().manual_seed(0))
    assert torch.equal((out[:, 0] == 0).flatten(1).sum(1), torch.full((8,), 16 * 16))


def test_colour_changes_brightness_saturation_and_contrast_per_image(emoji):
    out = diff_augment(emoji, ("color",), torch.Generator().manual_seed(0))
    change = (out - emoji).flatten(1).mean(1)
    assert change.std() > 0.02  # each image its own draw


def test_an_unknown_part_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="known: color, translation, cutout"):
        check_policy("color,flip")


def test_fake_labels_follow_the_batch_or_are_uniform():
    real = torch.tensor([1] * 60 + [0, 2, 3, 4])
    shuffled = fake_labels(real, 5, True, torch.Generator().manual_seed(0))
    assert torch.equal(shuffled.sort().values, real.sort().values) and not torch.equal(shuffled, real)
    uniform = fake_labels(real, 5, False, torch.Generator().manual_seed(0))
    assert (uniform == 1).sum() < 30 and uniform.max() <= 4
