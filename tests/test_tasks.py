"""Self-paired tasks made from plain photos (`--data TASK:FOLDER`), on generated images."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import tiny_config, write_image

from pix2pix_tf import train
from pix2pix_tf.data import make_dataset, resolve_data
from pix2pix_tf.data.tasks import TASKS, canny_edges, grayscale, pencil_sketch


def _photo(seed=0, h=40, w=40):
    """A flat background with a bright square and a gradient: edges where they meet."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 60, np.uint8)
    img[10:30, 12:28] = 220
    img[..., 2] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    img[..., 0] = np.clip(img[..., 0].astype(int) + rng.integers(0, 20, (h, w)), 0, 255)
    return img


@pytest.fixture
def photos(tmp_path):
    for i in range(3):
        write_image(tmp_path / "photos" / f"{i}.png", _photo(i))
    return tmp_path / "photos"


def test_pencil_sketch_is_white_on_flat_areas_and_dark_on_edges():
    img = tf.constant(_photo())
    sketch = pencil_sketch(img).numpy()[..., 0]
    assert sketch.shape == (40, 40) and sketch.dtype == np.uint8
    assert sketch[20, 20] > 240 and sketch[2, 2] > 240  # flat inside and outside
    assert sketch[7:10, 12:28].min() < 200  # a line along the square, on its dark side
    np.testing.assert_array_equal(sketch, pencil_sketch(img).numpy()[..., 0])  # deterministic


def test_canny_edges_black_on_white_at_the_square():
    edges = canny_edges(tf.constant(_photo())).numpy()[..., 0]
    assert set(np.unique(edges)) <= {0, 255}
    assert edges[20, 20] == 255 and edges[2, 2] == 255
    assert (edges[8:32, 10:30] == 0).sum() > 20


@pytest.mark.parametrize("task", sorted(TASKS))
def test_each_task_makes_pairs_and_trains_end_to_end(task, photos, tmp_path):
    config = tiny_config(preprocess="none", flip=False)
    source = resolve_data(f"{task}:{photos}", config)
    assert source.task == task and len(source) == 3
    x, y = next(iter(make_dataset(source, config, training=False)))
    photo = tf.image.resize(tf.cast(_photo(0)[None], tf.float32), (32, 32), antialias=True)
    photo = np.clip(photo.numpy(), 0, 255) / 127.5 - 1
    if task == "colorize":
        assert x.shape[-1] == 1 and np.abs(y.numpy() - photo).max() < 1e-5
    else:
        assert np.abs(x.numpy() - photo).max() < 1e-5
        gray = y.numpy()
        assert np.allclose(gray[..., 0], gray[..., 1]) and np.allclose(gray[..., 1], gray[..., 2])
    if task == "decolorize":
        expected = tf.image.resize(tf.cast(grayscale(_photo(0))[None], tf.float32), (32, 32),
                                   antialias=True).numpy() / 127.5 - 1
        assert np.abs(y.numpy()[..., :1] - expected).max() < 1e-5
    model = train(config.replace(steps_per_epoch=1, sample_every=0), tmp_path / task,
                  data=f"{task}:{photos}", verbose=0)
    assert model.generator.input_shape[-1] == (1 if task == "colorize" else 3)


def test_and_back_with_btoa(photos):
    config = tiny_config(preprocess="none", direction="BtoA")
    x, y = next(iter(make_dataset(resolve_data(f"sketch:{photos}", config), config,
                                  training=False)))
    xs = x.numpy()
    assert np.allclose(xs[..., 0], xs[..., 1])  # the sketch is now the input
    assert not np.allclose(y.numpy()[..., 0], y.numpy()[..., 2])  # the colour photo the target


def test_sample_photos_are_tiles_of_scikit_images_licensed_photos(tmp_path):
    from PIL import Image

    from pix2pix_tf.data.sample_photos import SKIMAGE_PHOTOS, write_sample_photos

    train, held_out = write_sample_photos(tmp_path, tile=128)
    names = {p.name.split("_")[0] for p in train.iterdir()}
    assert sorted(p.name for p in held_out.iterdir()) == ["chelsea.png", "coffee.png"]
    assert not names & {"chelsea", "coffee"} and len(list(train.iterdir())) > 40
    assert all(Image.open(p).size == (128, 128) for p in train.iterdir())
    assert all(licence for licence in SKIMAGE_PHOTOS.values())


def test_a_home_folder_after_the_task_is_expanded(photos, tmp_path, monkeypatch):
    """`--data sketch:~/Pictures`: the shell expands no "~" after the colon."""
    from pix2pix_tf.layout import data_spec

    monkeypatch.setenv("HOME", str(photos.parent))
    spec = f"sketch:~/{photos.name}"
    source = resolve_data(spec, tiny_config(), "train")
    assert source is not None and len(source) > 0
    assert data_spec(spec) == f"sketch:{photos.resolve()}"
    from pix2pix_tf.data.resolve import data_defaults, is_flat_folder

    assert is_flat_folder(spec)  # evaluate scores a flat folder whole
    assert data_defaults(spec) == data_defaults(f"sketch:{photos}")
