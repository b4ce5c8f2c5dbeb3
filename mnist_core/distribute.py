"""Pick a tf.distribute strategy for training: several GPUs, several workers, or the default."""

from __future__ import annotations

import contextlib
import json
import os


def choose_strategy():
    """MultiWorkerMirroredStrategy when TF_CONFIG names a cluster, MirroredStrategy when several
    GPUs (or logical devices) are visible, else TensorFlow's default strategy."""
    import tensorflow as tf

    tf_config = os.environ.get("TF_CONFIG")
    if tf_config:
        try:
            cluster = json.loads(tf_config).get("cluster", {})
        except ValueError:
            cluster = {}
        if sum(len(v) for v in cluster.values()) > 1:
            return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    cpus = tf.config.list_logical_devices("CPU")
    if os.environ.get("MNIST_MIRROR_CPUS") and len(cpus) > 1:  # testing the mirrored path on CPU
        return tf.distribute.MirroredStrategy([d.name for d in cpus])
    return tf.distribute.get_strategy()


@contextlib.contextmanager
def strategy_scope():
    """Build and compile models inside this scope."""
    strategy = choose_strategy()
    with strategy.scope():
        yield strategy
