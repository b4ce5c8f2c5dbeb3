"""A message for the next run: an action that reruns the page says what it did once the page is back."""

from __future__ import annotations

import streamlit as st

from ui import keys


def later(message: str, icon: str = ":material/check_circle:") -> None:
    """Show `message` as a toast on the next run of the page (call before st.rerun())."""
    st.session_state[keys.FLASH] = (message, icon)


def show() -> None:
    """Show the message left by the last action, once (app.py calls this on every run)."""
    pending = st.session_state.pop(keys.FLASH, None)
    if pending:
        message, icon = pending
        st.toast(message, icon=icon)
