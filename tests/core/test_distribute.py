"""tf.distribute: the mirrored path on CPU with two logical devices (in a subprocess: the device
configuration must happen before TensorFlow starts, and cannot be undone)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

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


FINETUNE_SCRIPT = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from pathlib import Path
from mnist_core.card import ModelCard
from mnist_core.data import load_mnist
from mnist_core.distribute import strategy
from mnist_core.finetune import FinetuneConfig
from mnist_core.models import build_model
from mnist_core.runs import RunSpec, file_saver, run
from mnist_core.store import save_model_atomic

import keras
keras.utils.set_random_seed(0)  # the parent's random features: a fixed draw, not a new one each run
out = {"strategy": [type(strategy()).__name__, strategy().num_replicas_in_sync]}
folder = Path(sys.argv[1])
parent = folder / "parent.keras"
save_model_atomic(build_model("simple_cnn"), parent, ModelCard("parent", architecture="simple_cnn"))
data = load_mnist()
for mode in ("head", "all"):
    ft = FinetuneConfig(mode=mode, subset=1280, epochs=1, batch_size=64, learning_rate=3e-3)
    result = run(RunSpec(ft.train_config(), f"tuned-{mode}", finetune=ft, parent=parent, calibrate=False), data,
                 file_saver(folder / f"tuned-{mode}.keras"))
    out[mode] = {"after": result.card.after["mnist_test"], "before": result.card.before["mnist_test"]}
print(json.dumps(out))
"""


def test_finetuning_is_mirrored_over_two_logical_cpus(mnist, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MNIST_MIRROR_CPUS": "1"}
    env.pop("TF_CONFIG", None)
    run = subprocess.run([sys.executable, "-c", FINETUNE_SCRIPT, str(tmp_path)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["strategy"] == ["MirroredStrategy", 2]
    for mode in ("head", "all"):  # an untrained parent: fine-tuning on 1,280 digits must teach it something
        assert out[mode]["after"] > max(0.5, out[mode]["before"] + 0.2), out


def readme_worker_commands() -> list[str]:
    """The README's two multi-worker commands (one line each), as a user would copy them."""
    lines = (REPO / "README.md").read_text().splitlines()
    commands = [line for line in lines if line.startswith("TF_CONFIG=") and "python -m mnist_core train" in line]
    assert len(commands) == 2, "the README shows one command per worker"
    return commands


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_readme_two_worker_recipe_trains_on_two_local_processes(mnist, tmp_path):
    import shlex

    from mnist_core.models import load_model

    hosts = {"host-a:12345": f"127.0.0.1:{free_port()}", "host-b:12345": f"127.0.0.1:{free_port()}"}
    procs, outs = [], []
    for i, command in enumerate(readme_worker_commands()):
        for host, local in hosts.items():
            command = command.replace(host, local)
        words = shlex.split(command)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MNIST_LAB_HOME": str(tmp_path / f"home{i}")}
        while "=" in words[0]:  # the VAR=value prefixes
            key, value = words.pop(0).split("=", 1)
            env[key] = value if key != "MNIST_DATA_DIR" else os.environ["MNIST_DATA_DIR"]
        assert words[:3] == ["python", "-m", "mnist_core"]
        out = words[words.index("--out") + 1]
        words[words.index("--out") + 1] = str(tmp_path / Path(out).name)
        outs.append(tmp_path / Path(out).name)
        args = [sys.executable, *words[1:], "--epochs", "1", "--subset", "3000", "--no-calibrate"]
        procs.append(subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    logs = [p.communicate(timeout=600)[0] for p in procs]
    for p, log in zip(procs, logs, strict=True):
        assert p.returncode == 0, log[-3000:]
    chief, other = (load_model(o) for o in outs)
    # the same trained weights on both workers (batch norm's running statistics are each worker's own)
    for a, b in zip(chief.trainable_weights, other.trainable_weights, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5, err_msg=a.path)
    assert "test accuracy" in logs[0]
