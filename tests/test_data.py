import numpy as np
import pytest
from conftest import random_image, tiny_config, write_image

from pix2pix_tf import DataError
from pix2pix_tf.data import (
    ab_folder,
    builtin,
    make_dataset,
    paired_folders,
    resolve_data,
    synthetic_facades,
)


def _first(ds):
    x, y = next(iter(ds))
    return x.numpy(), y.numpy()


def test_ab_folder_splits_halves_and_direction(ab_dir, config):
    src = resolve_data(ab_dir, config)
    assert src.layout == "ab" and len(src) == 6
    c = config.replace(preprocess="none")
    x, y = _first(make_dataset(src, c, training=False))
    xb, yb = _first(make_dataset(src, c.replace(direction="BtoA"), training=False))
    np.testing.assert_array_equal(x, yb)
    np.testing.assert_array_equal(y, xb)
    assert x.shape == (1, 32, 32, 3) and x.min() >= -1 and x.max() <= 1


def test_ab_values_come_from_the_right_halves(tmp_path, config):
    img = np.zeros((32, 64, 3), np.uint8)
    img[:, 32:] = 255
    write_image(tmp_path / "d" / "x.png", img)
    x, y = _first(make_dataset(ab_folder(tmp_path / "d", config), config, training=False))
    assert np.allclose(x, -1) and np.allclose(y, 1)


def test_paired_folders(pair_folders, config):
    src = resolve_data(pair_folders, config)
    assert src.layout == "pair" and len(src) == 4
    x, y = _first(make_dataset(src, config, training=True))
    assert x.shape == y.shape == (1, 32, 32, 3)


def test_jitter_is_shared_by_input_and_target(tmp_path, config):
    for i in range(3):  # identical halves: any crop/flip mismatch would show
        half = random_image(40, 40, seed=i)
        write_image(tmp_path / "d" / f"{i}.png", np.concatenate([half, half], axis=1))
    ds = make_dataset(ab_folder(tmp_path / "d", config), config, training=True)
    for x, y in ds.take(6):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_stream_is_deterministic_and_resumable(ab_dir, config):
    src = resolve_data(ab_dir, config)
    full = [x.numpy() for x, _ in make_dataset(src, config).take(10)]
    again = [x.numpy() for x, _ in make_dataset(src, config).take(10)]
    resumed = [x.numpy() for x, _ in make_dataset(src, config, start_step=4).take(6)]
    other = [x.numpy() for x, _ in make_dataset(src, config.replace(seed=5)).take(10)]
    for a, b in zip(full, again):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(full[4:], resumed):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(full, other))


def test_each_epoch_is_a_permutation(tmp_path, config):
    for i in range(4):  # each image a constant value -> identifiable
        write_image(tmp_path / "d" / f"{i}.png", np.full((32, 64, 3), 40 * i + 20, np.uint8))
    c = config.replace(flip=False, preprocess="none")
    values = [round(float(x.numpy().mean()), 3) for x, _ in
              make_dataset(ab_folder(tmp_path / "d", c), c).take(8)]
    assert len(set(values[:4])) == 4 and len(set(values[4:])) == 4
    assert values[:4] != values[4:]


def test_grayscale_rgba_and_rgb_mix_are_converted(tmp_path, config):
    write_image(tmp_path / "d" / "gray.png", random_image(32, 64, 1))
    write_image(tmp_path / "d" / "rgba.png", random_image(32, 64, 4))
    write_image(tmp_path / "d" / "rgb.jpg", random_image(32, 64, 3))
    src = ab_folder(tmp_path / "d", config)
    assert len(src) == 3
    for c in (config, config.replace(input_channels=1)):
        for x, y in make_dataset(src, c, training=False):
            assert x.shape[-1] == c.input_channels and y.shape[-1] == 3


def test_builtin_dataset_is_deterministic():
    a_labels, a_pics = synthetic_facades(3, (64, 64), seed=0)
    b_labels, b_pics = synthetic_facades(3, (64, 64), seed=0)
    np.testing.assert_array_equal(a_pics, b_pics)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert a_pics.std() > 20  # not blank
    src = builtin(tiny_config(), "val")
    assert src.layout == "pair" and len(src) > 0


def test_the_builtin_label_map_leaves_the_look_open():
    """One map, many right pictures; their per-pixel median (what L1 alone converges
    to) has less fine detail than any one of them: the set shows why L1 blurs."""
    from pix2pix_tf.data.synthetic import facade_variants

    label, pictures = facade_variants(33, (64, 64), seed=0, index=3)
    labels, singles = synthetic_facades(4, (64, 64), seed=0)
    np.testing.assert_array_equal(label, labels[3])  # the same map as the dataset's
    assert len({p.tobytes() for p in pictures}) == 33  # different looks

    def detail(x):  # mean absolute horizontal + vertical gradient
        x = x.astype(np.float32)
        return np.abs(np.diff(x, axis=-2)).mean() + np.abs(np.diff(x, axis=-3)).mean()

    typical = np.mean([detail(p) for p in pictures])
    assert detail(np.median(pictures, axis=0)) < 0.8 * typical  # L1's answer
    assert detail(np.mean(pictures, axis=0)) < 0.6 * typical  # L2's answer


# --- bad input: each a clear error naming the file or option -----------------------

def test_corrupt_jpeg(ab_dir, config):
    (ab_dir / "002.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with pytest.raises(DataError, match="002.jpg"):
        ab_folder(ab_dir, config)


def test_truncated_png(tmp_path, config):
    good = write_image(tmp_path / "d" / "ok.png", random_image(32, 64))
    bad = tmp_path / "d" / "cut.png"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(DataError, match="cut.png"):
        ab_folder(tmp_path / "d", config)


def test_non_image_file_in_folder(ab_dir, config):
    (ab_dir / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="notes.txt.*not an image"):
        ab_folder(ab_dir, config)


def test_skip_bad_files_counts_them(ab_dir, config, capsys):
    (ab_dir / "notes.txt").write_text("hello")
    (ab_dir / "002.jpg").write_bytes(b"garbage")
    src = ab_folder(ab_dir, config.replace(skip_bad_files=True))
    assert len(src) == 5 and len(src.skipped) == 2
    assert "Skipped 2" in capsys.readouterr().out


def test_odd_width_ab_image(tmp_path, config):
    write_image(tmp_path / "d" / "odd.png", random_image(32, 65))
    with pytest.raises(DataError, match="odd.png.*odd width 65"):
        ab_folder(tmp_path / "d", config)


def test_unmatched_names_in_a_and_b(pair_folders, config):
    (pair_folders / "B" / "img3.png").rename(pair_folders / "B" / "other.png")
    with pytest.raises(DataError, match="Unmatched.*img3.png.*other.png"):
        paired_folders(pair_folders / "A", pair_folders / "B", config)


def test_different_sizes_in_a_and_b(pair_folders, config):
    write_image(pair_folders / "B" / "img1.png", random_image(40, 36))
    with pytest.raises(DataError, match="img1.png.*differs"):
        paired_folders(pair_folders / "A", pair_folders / "B", config)


def test_image_smaller_than_the_crop(tmp_path, config):
    write_image(tmp_path / "d" / "small.png", random_image(20, 40))
    with pytest.raises(DataError, match="small.png.*smaller than the crop"):
        ab_folder(tmp_path / "d", config.replace(preprocess="crop"))
    assert len(ab_folder(tmp_path / "d", config)) == 1  # resize_and_crop upsamples


def test_empty_folder(tmp_path, config):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty"):
        resolve_data(tmp_path / "empty", config)


def test_unknown_dataset_name(config):
    with pytest.raises(DataError, match="no-such-set.*known datasets: facades"):
        resolve_data("no-such-set", config)


def test_fewer_pairs_than_the_batch(ab_dir, config):
    with pytest.raises(DataError, match="batch size"):
        make_dataset(resolve_data(ab_dir, config), config.replace(batch_size=8))


def test_colorize_task_pairs_grayscale_with_colour(tmp_path):
    for i in range(3):
        write_image(tmp_path / "photos" / f"{i}.jpg", random_image(40, 40, seed=i))
    c = tiny_config(input_channels=1, preprocess="none")
    src = resolve_data(f"colorize:{tmp_path / 'photos'}", c)
    assert src.layout == "task" and src.task == "colorize" and len(src) == 3
    x, y = _first(make_dataset(src, c, training=False))
    assert x.shape == (1, 32, 32, 1) and y.shape == (1, 32, 32, 3)
    gray = (0.2989 * y[..., 0] + 0.587 * y[..., 1] + 0.114 * y[..., 2])[..., None]
    np.testing.assert_allclose(x, gray, atol=0.02)  # the input is the target's luminance


def test_colorize_task_on_a_missing_folder(tmp_path, config):
    with pytest.raises(DataError, match="nowhere"):
        resolve_data(f"colorize:{tmp_path / 'nowhere'}", config)


def test_decompression_bomb_is_a_bad_file_naming_it(ab_dir, config, capsys):
    from conftest import write_bomb_png

    write_bomb_png(ab_dir / "huge.png")
    with pytest.raises(DataError, match="huge.png: image too large to decode safely"):
        ab_folder(ab_dir, config)
    src = ab_folder(ab_dir, config.replace(skip_bad_files=True))
    assert len(src) == 6 and src.skipped[0][0].endswith("huge.png")
    assert "huge.png" in capsys.readouterr().out
