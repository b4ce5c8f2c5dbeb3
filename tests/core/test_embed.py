"""PCA against a known principal direction; t-SNE computed once, then read from the disk cache."""

import numpy as np
import pytest

from mnist_core import embed
from mnist_core.paths import cache_dir


def line_images(n: int = 400, seed: int = 0) -> np.ndarray:
    """Images that vary (a lot) along one pixel pattern and (a little) along another: known components."""
    rng = np.random.default_rng(seed)
    a, b = np.zeros((4, 4), np.float32), np.zeros((4, 4), np.float32)
    a[0, :] = 0.5  # main direction
    b[:, 3] = 0.5  # second direction, orthogonal to a except at (0, 3)
    b[0, 3] = 0.0
    t, s = rng.uniform(-1, 1, n), rng.uniform(-0.2, 0.2, n)
    return (0.5 + t[:, None, None] * a + s[:, None, None] * b).astype(np.float32)


def test_principal_components_find_the_known_directions():
    mean, comps, explained = embed.principal_components(line_images(), k=2)
    assert mean.shape == (16,) and comps.shape == (2, 16)
    first = np.zeros((4, 4))
    first[0, :] = 1
    assert abs(comps[0] @ first.ravel() / 2) == pytest.approx(1.0, abs=1e-4)  # unit vector along row 0
    np.testing.assert_allclose(np.linalg.norm(comps, axis=1), 1.0, atol=1e-5)
    assert explained[0] > 0.9 and explained.sum() == pytest.approx(1.0, abs=1e-4)  # 2 directions explain all


def test_pca_map_projects_every_image_and_keeps_the_order_along_the_line():
    x = line_images()
    emb = embed.pca_map(x)
    assert emb.coords.shape == (len(x), 2) and emb.method == "PCA"
    np.testing.assert_array_equal(emb.indices, np.arange(len(x)))
    along = x[:, 0, 0]  # grows with t
    assert abs(np.corrcoef(emb.coords[:, 0], along)[0, 1]) > 0.999
    assert emb.explained == pytest.approx(1.0, abs=1e-4)


def test_pca_map_is_stable_and_fits_on_a_sample():
    x = line_images(1000)
    a, b = embed.pca_map(x, fit_sample=300), embed.pca_map(x, fit_sample=300)
    np.testing.assert_array_equal(a.coords, b.coords)
    full = embed.pca_map(x)
    assert np.corrcoef(a.coords[:, 0], full.coords[:, 0])[0, 1] > 0.999  # same sign: no flip


def test_pca_of_uint8_images_scales_to_unit_range():
    x = (line_images() * 255).astype(np.uint8)
    emb = embed.pca_map(x)
    assert np.abs(emb.coords).max() < 2.0  # in [0, 1] units, not 0-255


def clusters(n_per: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated groups of 8x8 images."""
    rng = np.random.default_rng(1)
    x = np.zeros((3 * n_per, 8, 8), np.uint8)
    labels = np.repeat(np.arange(3), n_per)
    for i, g in enumerate(labels):
        x[i, :, 2 * g: 2 * g + 2] = 200
        x[i] += rng.integers(0, 30, (8, 8), dtype=np.uint8)
    return x, labels


def test_tsne_separates_groups_and_is_cached_on_disk(monkeypatch):
    x, labels = clusters()
    emb = embed.tsne_map(x, n=60, seed=0)
    assert emb.coords.shape == (60, 2) and len(set(emb.indices)) == 60
    g = labels[emb.indices]
    centres = np.array([emb.coords[g == k].mean(axis=0) for k in range(3)])
    spread = max(np.linalg.norm(emb.coords[g == k] - centres[k], axis=1).mean() for k in range(3))
    gaps = min(np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3))
    assert gaps > 2 * spread  # three islands

    path = embed.tsne_cache_path(x, 60, 0)
    assert path.parent == cache_dir() and path.is_file() and embed.is_tsne_cached(x, 60, 0)
    assert [p.name for p in cache_dir().iterdir()] == [path.name]  # no temporary files left behind

    def boom(*args):
        raise AssertionError("recomputed instead of reading the cache")

    monkeypatch.setattr(embed, "_compute_tsne", boom)
    again = embed.tsne_map(x, n=60, seed=0)
    np.testing.assert_array_equal(again.coords, emb.coords)
    np.testing.assert_array_equal(again.indices, emb.indices)


def test_tsne_cache_is_keyed_by_size_seed_and_pixels():
    x, _ = clusters()
    base = embed.tsne_cache_path(x, 60, 0)
    assert embed.tsne_cache_path(x, 50, 0) != base
    assert embed.tsne_cache_path(x, 60, 1) != base
    other = x.copy()
    other[0, 0, 0] ^= 1
    assert embed.tsne_cache_path(other, 60, 0) != base  # another dataset does not reuse the map


def test_a_damaged_cache_file_is_recomputed(monkeypatch):
    x, _ = clusters()
    path = embed.tsne_cache_path(x, 40, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an npz file")
    calls = []
    monkeypatch.setattr(
        embed, "_compute_tsne", lambda flat, seed: calls.append(seed) or np.zeros((len(flat), 2), np.float32)
    )
    emb = embed.tsne_map(x, n=40, seed=0)
    assert calls == [0] and emb.coords.shape == (40, 2)
    assert not embed.is_tsne_cached(x, 41, 0)
    with np.load(path) as npz:  # rewritten with the new result
        assert npz["coords"].shape == (40, 2)


@pytest.mark.parametrize("n", [5, 1000])
def test_tsne_refuses_impossible_sizes(n):
    x, _ = clusters()
    with pytest.raises(ValueError, match="t-SNE"):
        embed.tsne_map(x, n=n)
