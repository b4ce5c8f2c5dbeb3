"""Project exceptions: each carries a message a user can act on.

Pages catch these (never bare Exception) and show `str(err)` with `st.error`.
"""


class MnistLabError(Exception):
    """Base class of every error the app turns into a readable message."""


class DatasetError(MnistLabError):
    """The MNIST files are missing, unreadable or not what they claim to be."""


class ModelError(MnistLabError):
    """A model file is missing, not a Keras model, unsafe, or has the wrong shapes."""


class StoreError(MnistLabError):
    """A store on disk (models, handwriting database) cannot be read or written."""


class ConfigError(MnistLabError, ValueError):
    """A setting is out of range (epochs, learning rate, augmentation strength...)."""
