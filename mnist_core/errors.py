"""Project exceptions: each carries a message a user can act on.

Pages show `str(err)` of these with `st.error` (ui/guard.py); anything else that escapes is a bug,
which the page logs and reports as an unexpected problem, without a traceback.

Messages are read by every student in the room, so they name files, never server paths
(`shown_path`, `hide_paths`); a hint for the teacher names the setting to change instead.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path


class MnistLabError(Exception):
    """Base class of every error the app turns into a readable message."""


class DatasetError(MnistLabError):
    """The MNIST files are missing, unreadable or not what they claim to be."""


class ModelError(MnistLabError):
    """A model file is missing, not a Keras model, unsafe, or has the wrong shapes."""


class StoreError(MnistLabError):
    """A store on disk (models, handwriting database) cannot be read or written."""


class ReadOnlyError(StoreError):
    """A store can be read but not written (a read-only folder, file or disk): nothing was changed."""


class ConfigError(MnistLabError, ValueError):
    """A setting is out of range (epochs, learning rate, augmentation strength...)."""


class InputError(MnistLabError, ValueError):
    """Something a user gave (a drawing, an image, a label) cannot be used as it is."""


# ---------------------------------------------------------------------------------------------
# Messages without server paths


def shown_path(path: str | os.PathLike) -> str:
    """How a file is named in a message: its name only ("mnist.npz"), never the folders above it."""
    return Path(path).name or str(path)


# An absolute POSIX path of two or more parts, or a Windows one: /home/teacher/.mnist-lab/models/x.keras
_ABSOLUTE = re.compile(r"(?<![\w.~:/-])(?:[A-Za-z]:\\|/)(?:[^\s'\"`:,;()\[\]{}<>]+[/\\])+([^\s'\"`:,;()\[\]{}<>]*)")


def hide_paths(text: str) -> str:
    """`text` with every absolute path replaced by its last part (the file's name).

    For messages that quote another library (Keras, SQLite, the OS), which name the full path.
    """
    return _ABSOLUTE.sub(lambda m: m.group(1) or "the folder", str(text))


def os_error_reason(err: OSError) -> str:
    """An OS error in a few plain words: "the disk is full", "permission denied", ..."""
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the disk is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ELOOP: "it is a symbolic link that points to itself (a loop)",
        errno.ENOENT: "it does not exist",
        errno.ENOTDIR: "a part of its path is not a folder",
        errno.EISDIR: "it is a folder, not a file",
        errno.ENAMETOOLONG: "its name is too long",
        errno.EIO: "the disk reported a read or write error",
        errno.EFBIG: "the file is too large for this disk",
        errno.EMFILE: "the server has too many files open",
    }
    if err.errno in reasons:
        return reasons[err.errno]
    return hide_paths(err.strerror or str(err) or type(err).__name__).lower()


def is_read_only(err: OSError) -> bool:
    """Whether an OS error means "you may not write here" (rather than a damaged or full disk)."""
    return err.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
