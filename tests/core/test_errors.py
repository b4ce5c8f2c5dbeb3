"""Messages every student reads name files, never the server's folders."""

import errno

import pytest

from mnist_core.errors import hide_paths, os_error_reason, shown_path


@pytest.mark.parametrize("text, shown", [
    ("could not save the model to /home/teacher/.mnist-lab/models: Permission denied",
     "could not save the model to models: Permission denied"),
    ("[Errno 13] Permission denied: '/home/t/.mnist-lab/models/.x.abc.tmp.keras'",
     "[Errno 13] Permission denied: '.x.abc.tmp.keras'"),
    ("C:\\Users\\me\\net.keras broke", "net.keras broke"),
    ("see https://example.org/a/b and ~/.keras/datasets", "see https://example.org/a/b and ~/.keras/datasets"),
    ("ratio 1/2, a / b", "ratio 1/2, a / b"),
])
def test_hide_paths(text, shown):
    assert hide_paths(text) == shown


def test_os_errors_in_plain_words():
    assert os_error_reason(OSError(errno.ENOSPC, "No space left on device", "/x/y")) == "the disk is full"
    assert os_error_reason(PermissionError(errno.EACCES, "Permission denied", "/x")) == "permission denied"
    assert "loop" in os_error_reason(OSError(errno.ELOOP, "Too many levels of symbolic links"))
    assert os_error_reason(OSError(errno.EROFS, "Read-only file system")) == "the disk is read-only"
    assert shown_path("/srv/lab/handwriting.sqlite") == "handwriting.sqlite"
