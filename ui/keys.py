"""Every st.session_state key shared between pages, named in one place."""

LAST_DRAWING = "last_drawing"  # (28, 28) float32: the last drawing's model input (Draw -> Augment)
DRAWING_OVERRIDE = "drawing_override"  # RGBA/grayscale array used instead of the canvas (tests, uploads)
CANVAS_KEY = "canvas_key"  # int: bumped to clear the canvas (a new key remounts it empty)
TRAIN_JOB = "train_job"  # ui.jobs.TrainingJob of this session
AUGMENT_CONFIG = "augment_config"  # mnist_core.augment.AugmentConfig set on the Augment page (Augment -> Train)
