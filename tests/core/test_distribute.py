"""tf.distribute: the mirrored path on CPU with two logical devices (in a subprocess: the device
configuration must happen before TensorFlow starts, and cannot be undone)."""

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = """
import json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import mnist_core.distribute as distribute
from mnist_core.data import load_mnist
from mnist_core.evaluate import evaluate
from mnist_core.train_config import TrainConfig
from mnist_core.train import train

seen = []
real_choose = distribute.choose_strategy
def spy():
    strategy = real_choose()
    seen.append([type(strategy).__name__, strategy.num_replicas_in_sync])
    return strategy
distribute.choose_strategy = spy

data = load_mnist()
config = TrainConfig(architecture="mlp", epochs=2, batch_size=64, train_subset=1280, validation_split=0.0)
result = train(config, data.x_train, data.y_train)
variable = result.model.trainable_variables[0]
print(json.dumps({
    "strategies": seen,
    "variable": type(getattr(variable, "value", variable)).__name__,
    "losses": [row["loss"] for row in result.history],
    "test_accuracy": evaluate(result.model, data.x_test[:2000], data.y_test[:2000]).accuracy,
}))
"""


def run_script(extra_env):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra_env}
    env.pop("TF_CONFIG", None)
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_training_is_mirrored_over_two_logical_cpus(mnist):
    out = run_script({"MNIST_MIRROR_CPUS": "1"})
    assert out["strategies"] == [["MirroredStrategy", 2]]
    assert out["variable"] == "MirroredVariable"  # one copy of each weight per device, kept in sync
    assert out["losses"][1] < out["losses"][0]
    assert out["test_accuracy"] > 0.6  # chance is 0.1; 1280 images, 2 epochs


def test_without_the_switch_two_cpus_use_the_default_strategy(mnist):
    out = run_script({"MNIST_MIRROR_CPUS": ""})
    assert out["strategies"] == [["_DefaultDistributionStrategy", 1]]
    assert out["variable"] != "MirroredVariable"
