"""The st.session_state keys that more than one page (or app.py) reads or writes, named in one place.

A key that only one page uses is named in that page's ui module.
"""

LAST_DRAWING = "last_drawing"  # (28, 28) float32: the last drawing's model input (Draw -> Augment)
PRESENT = "present"  # bool: presenter mode (large type, big canvas, fewer controls)
SESSION_MODEL = "session_model"  # str: stored-model name this session uses instead of the class's active one
FLASH = "flash"  # (message, icon): shown once on the next run (ui.flash)
AUGMENT_CONFIG = "augment_config"  # AugmentConfig: the augmentation set on Augment or Train (shared by both)
PAGE = "page"  # str: the url path of the page this run draws (app.py)
PAGE_IS_NEW = "page_is_new"  # bool: this run is the first of a visit to the page (app.py)
