"""Project exceptions: each carries a message a user can act on.

Pages show `str(err)` of these with `st.error` (ui/guard.py); anything else that escapes is a bug,
which the page logs and reports as an unexpected problem, without a traceback.
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


class InputError(MnistLabError, ValueError):
    """Something a user gave (a drawing, an image, a label) cannot be used as it is."""
