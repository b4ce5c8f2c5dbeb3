"""The tf.distribute strategy of a training process: several workers, several GPUs, or the default.

One strategy per process, made by `strategy()` the first time it is asked for. A training process must
ask before anything else touches TensorFlow: a MultiWorkerMirroredStrategy configures TensorFlow's
collective ops, which is only possible at program start ("Collective ops must be configured at program
startup"). The command line and the training worker call `strategy()` first thing; models are built,
loaded and compiled inside `strategy().scope()`.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

_strategy: Any = None
_lock = threading.Lock()


def cluster_size() -> int:
    """Workers named in TF_CONFIG (1 when it is unset or names no cluster)."""
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    except (ValueError, AttributeError):
        return 1
    return max(1, sum(len(v) for v in cluster.values() if isinstance(v, list)))


def choose_strategy():
    """MultiWorkerMirroredStrategy when TF_CONFIG names a cluster, MirroredStrategy when several
    GPUs (or, for testing, logical CPUs with MNIST_MIRROR_CPUS=1) are visible, else the default."""
    import tensorflow as tf

    if cluster_size() > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    cpus = tf.config.list_logical_devices("CPU")
    if os.environ.get("MNIST_MIRROR_CPUS") and len(cpus) > 1:  # testing the mirrored path on CPU
        return tf.distribute.MirroredStrategy([d.name for d in cpus])
    return tf.distribute.get_strategy()


def strategy():
    """This process's strategy, made once (see the module's docstring for when to call it first)."""
    global _strategy
    with _lock:
        if _strategy is None:
            _strategy = choose_strategy()
        return _strategy


def distribute_options(dataset):
    """Shard a dataset made from in-memory arrays by element across workers (the default, by file,
    does not apply to them and would make every worker read every example)."""
    import tensorflow as tf

    if cluster_size() <= 1:
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
