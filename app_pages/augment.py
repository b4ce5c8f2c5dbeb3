"""Preview data augmentation live: a digit, and the randomly transformed copies training would see.

Every setting is in the URL (/augment?rotation=30&shear=0&digit=7), so a link opens the same preview.
"""

import time

import numpy as np
import streamlit as st

from mnist_core.augment import DRAWING_AUGMENT, AugmentConfig, augment, ink_kept, ink_loss_share
from mnist_core.plots import enlarge
from ui.augment_ui import COPIES, URL, augment_options_ui, digit_source_ui, write_page_url
from ui.cache import mnist
from ui.guard import friendly_errors
from ui.show import montage
from ui.url_settings import read_url

LOST = 0.5  # a copy keeping under half of the original's ink has lost most of it
# The preview stays in view while the controls beside it scroll: sticky within its column (as tall as the
# controls), once the wrapper Streamlit puts around it (as short as the preview) is out of the way
STICKY = """<style>
:has(> .st-key-aug-preview) { display: contents; }
.st-key-aug-preview { position: sticky; top: 2.8rem; flex: none; height: max-content; }
</style>"""

st.title("Augmentation preview")
st.caption("Training sees randomly changed copies of each digit, so it learns what stays the same. These start "
           "as the Best preset's; once you change one, the Train page trains with your settings (either preset), "
           "and the trained model remembers them.")

with friendly_errors("The augmentation preview"):
    data = mnist()
    read_url(URL)  # a link's digit, seed and number of copies (its transforms: in augment_options_ui)
    st.html(STICKY)
    preview_column, controls = st.columns([1.2, 1], gap="medium")
    preview = preview_column.container(key="aug-preview")

    # Settings
    with controls:
        config = augment_options_ui(DRAWING_AUGMENT, in_url=True)
        st.session_state.setdefault(COPIES, 32)
        count = st.select_slider("Copies", [16, 24, 32], key=COPIES)
    with preview:
        original, about = st.columns([1, 2.6], gap="small")
        with about:
            image, caption = digit_source_ui(data)

    # Augment
    if image is None:
        about.info(caption)
    else:
        start = time.perf_counter()
        variants = augment(np.repeat(image[None], count, axis=0), config)
        kept, lost = ink_kept(image, variants), ink_loss_share(image, variants, most=LOST)
        took = time.perf_counter() - start
        original.image(enlarge(image, 4), caption=f"original: {caption}")

        # Guard rails
        risky = config.risky_settings()
        # noise adds ink all over: the ink a copy keeps no longer tells whether its digit survived
        losses = (f"{lost:.0%} of the copies lost most of their ink (framed red)." if not config.noise
                  else "With noise on, ink cannot tell a lost digit: judge the copies by eye.")
        if risky:  # a short line even when every setting is past its mark (six lines on a projector before)
            limits = (", ".join(f"{name} past {AugmentConfig.LIMITS[name][2]:g}" for name in risky) if len(risky) <= 3
                      else f"{len(risky)} settings past their marks")
            about.warning(f"**Risky: {limits}.** {losses}")
        elif lost or config.noise:
            about.info(losses)

        # Preview
        with preview:
            st.image(montage(variants, cols=8, factor=2, flagged=(kept < 1 - LOST) & (not config.noise)),
                     width="stretch")
            st.caption(f"{count} copies in {took * 1000:.0f} ms. Ink kept: {kept.min():.0%} to {kept.max():.0%} of "
                       f"the original's (median {np.median(kept):.0%}"
                       f"{'; noise adds ink' if config.noise else ''}). Settings: {config.summary()}.")
    write_page_url("aug", DRAWING_AUGMENT)
