"""Every st.session_state key shared between pages, named in one place."""

LAST_DRAWING = "last_drawing"  # (28, 28) float32: the last drawing's model input (Draw -> Augment)
DRAWING_OVERRIDE = "drawing_override"  # RGBA/grayscale array used instead of the canvas (tests, uploads)
CANVAS_KEY = "canvas_key"  # int: bumped to clear the canvas (a new key remounts it empty)
TRAIN_JOB = "train_job"  # ui.jobs.TrainingJob of this session
PRESENT = "present"  # bool: presenter mode (large type, big canvas, fewer controls, fixed seed)
SESSION_MODEL = "session_model"  # str: stored-model name this session uses instead of the active one
URL_APPLIED = "url_applied"  # bool: the ?page=...&model=... settings were applied once
FLASH = "draw_flash"  # str: a message to show once after the rerun that follows an action
EXPLORE_TAB = "tab"  # str: the open Explore tab (also the ?tab= query parameter)
EXPLORE_HARD = "explore_hard"  # bool: the hard-examples view was asked for (it loads the model)
AUGMENT_SEED = "augment_seed"  # int: the Augment page's seed ("Resample" bumps it)
AUGMENT_INDEX = "augment_index"  # int: the training digit the Augment page shows
AUGMENT_CONFIG = "augment_config"  # mnist_core.augment.AugmentConfig set on the Augment page (Augment -> Train)
