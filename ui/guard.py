"""Turn errors into readable messages on the page: never a traceback in front of a class."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from mnist_core.errors import DatasetError, MnistLabError, hide_paths, os_error_reason

log = logging.getLogger("mnist_lab")


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
    except MnistLabError as err:
        st.error(hide_paths(str(err)))
    except OSError as err:  # a read-only home, a full disk: say which, and keep the rest of the page
        log.warning("%s: %s", what, err)
        st.error(f"{what} did not work: {os_error_reason(err)}.")
    except Exception:  # noqa: BLE001 - the last line of defence for the page
        log.exception("unexpected error in %s", what)
        st.error(f"{what} hit an unexpected problem and was skipped. The details are in the server log.")
