"""Turn errors into readable messages on the page: never a traceback in front of a class. And text that
markdown must show as it is (names, file names, error messages)."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

import streamlit as st

from mnist_core.errors import DatasetError, MnistLabError, hide_paths, os_error_reason

log = logging.getLogger("mnist_lab")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>~$])")  # what formats inside a line (a name is one line)


def literal(text: object) -> str:
    """`text` escaped for st.markdown (and toasts, errors, button labels): names and file names as they
    are, not formatting ('__md__' in a model's name is not bold, '$x$' is not maths)."""
    return _MARKDOWN.sub(r"\\\1", str(text))


@contextlib.contextmanager
def friendly_errors(what: str = "This part of the page") -> Iterator[None]:
    """Show project errors as st.error with what to do; log anything unexpected and say so plainly."""
    try:
        yield
    except DatasetError as err:
        st.error(f"**The MNIST dataset could not be loaded.** {err}")
        st.info(
            "Point the app at a folder holding the four MNIST files, e.g. "
            "`MNIST_DATA_DIR=/path/to/mnist streamlit run app.py`. The Draw page works without it."
        )
    except MnistLabError as err:  # plain text (it may quote a name or a file's name): shown as it is
        st.error(literal(hide_paths(str(err))))
    except OSError as err:  # a read-only home, a full disk: say which, and keep the rest of the page
        log.warning("%s: %s", what, err)
        st.error(f"{what} did not work: {os_error_reason(err)}.")
    except Exception:  # noqa: BLE001 - the last line of defence for the page
        log.exception("unexpected error in %s", what)
        st.error(f"{what} hit an unexpected problem and was skipped. The details are in the server log.")
