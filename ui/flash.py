"""A message for the next run: an action that reruns the page says what it did once the page is back."""

from __future__ import annotations

import streamlit as st

from ui import keys


def later(message: str, icon: str = ":material/check_circle:") -> None:
    """Show `message` as a toast on the next run of the page (call before st.rerun()); several messages
    left before then are all shown."""
    st.session_state[keys.FLASH] = [*st.session_state.get(keys.FLASH, []), (message, icon)]


def show() -> None:
    """Show the messages left by the last actions, once (app.py calls this on every run)."""
    for message, icon in st.session_state.pop(keys.FLASH, []):
        st.toast(message, icon=icon)
