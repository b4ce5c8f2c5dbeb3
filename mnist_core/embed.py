"""2-D maps of the dataset: PCA of every image (numpy), t-SNE of a subset (scikit-learn), cached on disk.

Images are flattened to 784 numbers in [0, 1]; similar-looking digits land near each other on the map.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from .paths import cache_dir

log = logging.getLogger("mnist_lab.embed")

TSNE_VERSION = 1  # bump when the t-SNE settings change, so old cache files are not reused
TSNE_PERPLEXITY = 30.0
TSNE_PCA_DIMS = 50  # t-SNE runs on the top principal components: faster, and it drops pixel noise
TSNE_ITERATIONS = 500  # half scikit-learn's default: the digit islands have formed by then


@dataclass(frozen=True)
class Embedding:
    """Points of a 2-D map and which images they stand for."""

    coords: np.ndarray  # (M, 2) float32
    indices: np.ndarray  # (M,) int64: the image each point stands for
    method: str  # "PCA" or "t-SNE"
    explained: float = float("nan")  # PCA only: share of the pixel variance the two axes keep


def _flat(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 or float -> (N, 784) float32 in [0, 1]."""
    x = np.asarray(images)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"expected a batch of images, got shape {x.shape}")
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    return x.reshape(len(x), -1).astype(np.float32) / np.float32(scale)


def principal_components(images: np.ndarray, k: int = 2, fit_sample: int = 20_000,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top-k principal components of the images (eigenvectors of the pixel covariance).

    Args:
        images: (N, H, W) images, uint8 or float in [0, 1].
        k: how many components.
        fit_sample: fit on at most this many images, drawn at random (the components of 20,000 MNIST
            images match those of all 70,000 to within a degree or so, at a third of the cost).
        seed: which random sample.
    Returns:
        (mean, components, explained): (D,) mean image, (k, D) unit component vectors by decreasing
        variance, and (k,) the share of the total variance each explains. D = H * W.
    """
    x = _flat(images)
    if len(x) > fit_sample:
        x = x[np.sort(np.random.default_rng(seed).choice(len(x), fit_sample, replace=False))]
    mean = x.mean(axis=0)
    centred = x - mean
    with _one_blas_thread():
        cov = (centred.T @ centred).astype(np.float64) / max(len(x) - 1, 1)
        variances, vectors = np.linalg.eigh(cov)  # ascending
    top = np.argsort(variances)[::-1][:k]
    components = vectors[:, top].T
    # fix each sign (an eigenvector is only defined up to sign) so the map never flips between runs
    signs = np.sign(components[np.arange(len(top)), np.argmax(np.abs(components), axis=1)])
    components *= signs[:, None]
    explained = variances[top] / max(variances.sum(), 1e-12)
    return mean, components.astype(np.float32), explained


def pca_map(images: np.ndarray, fit_sample: int = 20_000, seed: int = 0) -> Embedding:
    """Every image projected on the two main principal components.

    Args:
        images: (N, H, W) images, uint8 or float in [0, 1].
        fit_sample, seed: see principal_components.
    Returns:
        Embedding of all N images; `explained` is the share of pixel variance the map keeps.
    """
    mean, components, explained = principal_components(images, 2, fit_sample, seed)
    coords = _project(_flat(images), mean, components)
    return Embedding(coords.astype(np.float32), np.arange(len(coords)), "PCA", float(explained.sum()))


def _project(x: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    with _one_blas_thread():
        return (x - mean) @ components.T


def tsne_subset(n_images: int, n: int, seed: int) -> np.ndarray:
    """The sorted indices of the random subset a t-SNE map of `n` points uses."""
    if not 10 <= n <= n_images:
        raise ValueError(f"a t-SNE map needs between 10 and {n_images} images, got {n}")
    return np.sort(np.random.default_rng(seed).choice(n_images, n, replace=False))


def tsne_cache_path(images: np.ndarray, n: int, seed: int) -> Path:
    """Where the t-SNE map of this subset is cached: keyed by size, seed and the subset's own pixels."""
    subset = np.ascontiguousarray(np.asarray(images)[tsne_subset(len(images), n, seed)])
    fingerprint = hashlib.blake2b(subset.tobytes(), digest_size=8).hexdigest()
    return cache_dir() / f"tsne-v{TSNE_VERSION}-n{n}-seed{seed}-{fingerprint}.npz"


def is_tsne_cached(images: np.ndarray, n: int, seed: int) -> bool:
    return tsne_cache_path(images, n, seed).is_file()


def tsne_map(images: np.ndarray, n: int = 3000, seed: int = 0) -> Embedding:
    """A t-SNE map of a random subset of the images, computed once and then read from the disk cache.

    t-SNE keeps neighbours together (similar digits form islands) but, unlike PCA, distances between
    islands mean little. It costs seconds per thousand points, hence a subset and the cache.

    Args:
        images: (N, H, W) images, uint8 or float in [0, 1].
        n: how many images to map (a random subset, the same for the same n and seed).
        seed: which subset, and t-SNE's own randomness.
    Returns:
        Embedding of the subset (indices into `images`).
    Raises:
        ValueError: n is out of range.
    """
    indices = tsne_subset(len(images), n, seed)
    path = tsne_cache_path(images, n, seed)
    cached = _read_cached(path, indices)
    if cached is not None:
        return Embedding(cached, indices, "t-SNE")
    coords = _compute_tsne(_flat(np.asarray(images)[indices]), seed)
    _write_cached(path, indices, coords)
    return Embedding(coords, indices, "t-SNE")


def _compute_tsne(x: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE  # lazy: scikit-learn costs a second to import

    mean, components, _ = principal_components(x, min(TSNE_PCA_DIMS, x.shape[1], len(x)), seed=seed)
    reduced = _project(x, mean, components)
    tsne = TSNE(n_components=2, perplexity=min(TSNE_PERPLEXITY, (len(x) - 1) / 3), init="pca",
                learning_rate="auto", max_iter=TSNE_ITERATIONS, random_state=seed)
    return tsne.fit_transform(reduced).astype(np.float32)


def _read_cached(path: Path, indices: np.ndarray) -> np.ndarray | None:
    """The cached coordinates, or None when there are none or the file does not fit (it is recomputed)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            coords, stored = npz["coords"], npz["indices"]
    except (OSError, ValueError, KeyError) as err:
        log.warning("ignoring unreadable t-SNE cache %s: %s", path, err)
        return None
    if coords.shape != (len(indices), 2) or not np.array_equal(stored, indices) or not np.isfinite(coords).all():
        log.warning("ignoring t-SNE cache %s: it does not match its subset", path)
        return None
    return coords.astype(np.float32)


def _write_cached(path: Path, indices: np.ndarray, coords: np.ndarray) -> None:
    from .store import atomic_path

    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, coords=coords, indices=indices)
    except OSError as err:  # a read-only home only costs the recomputation next time
        log.warning("could not cache the t-SNE map at %s: %s", path, err)


def _one_blas_thread() -> threadpool_limits:
    """Linear algebra on one BLAS thread: with other work on the cores (training), multithreaded
    OpenBLAS spins and gets about 10x slower on these small (784 x 784) problems."""
    return threadpool_limits(limits=1, user_api="blas")
