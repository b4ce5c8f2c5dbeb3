"""The MNIST test images whose label human reviewers found wrong.

Source: Northcutt, Athalye & Mueller (2021), "Pervasive Label Errors in Test Sets Destabilize
Machine Learning Benchmarks" (NeurIPS Datasets and Benchmarks; arXiv:2103.14749), which reports
15 human-validated label errors in the MNIST test set. Their data: github.com/cleanlab/label-errors,
file mturk/mnist_mturk.json (commit 5457895): 100 test images flagged by confident learning, each
shown to five Mechanical Turk reviewers with its given label and the guessed one. The 15 below are
those where fewer than 3 of the 5 reviewers chose the given label, which is exactly the paper's
count of 15. Indices are 0-based positions in the standard MNIST test files (t10k-*), checked
against their labels. No download at run time: this small table is the whole list.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LabelError:
    """One test image whose given label the reviewers rejected."""

    given: int  # the label in the MNIST test file
    guessed: int  # the label confident learning proposed (shown to the reviewers)
    votes: tuple[int, int, int]  # reviewers (of 5) who chose: the given label, the guessed one, neither

    @property
    def reviewers_say(self) -> int | None:
        """The label most reviewers chose (None: most chose neither, or they did not agree)."""
        return self.guessed if self.votes[1] >= 3 else None

    def describe(self) -> str:
        """What the reviewers said, in words: 'reviewers: a 9 (5 of 5)'."""
        given, guessed, neither = self.votes
        if self.reviewers_say is not None:
            return f"reviewers: {_a(self.guessed)} {self.guessed} ({guessed} of 5), not {_a(self.given)} {self.given}"
        if neither >= 3:
            return f"reviewers: neither {self.given} nor {self.guessed} ({neither} of 5)"
        return f"reviewers split: {given} said {self.given}, {guessed} said {self.guessed}, {neither} neither"


def _a(digit: int) -> str:
    return "an" if digit == 8 else "a"


# index in the MNIST test set -> what the reviewers said (mturk/mnist_mturk.json, see above)
MNIST_TEST_LABEL_ERRORS: dict[int, LabelError] = {
    947: LabelError(8, 9, (0, 5, 0)),
    1621: LabelError(0, 6, (2, 3, 0)),
    1901: LabelError(9, 4, (2, 3, 0)),
    2130: LabelError(4, 9, (2, 2, 1)),
    2462: LabelError(2, 0, (0, 4, 1)),
    2597: LabelError(5, 3, (0, 4, 1)),
    2654: LabelError(6, 1, (0, 2, 3)),
    3520: LabelError(6, 4, (2, 0, 3)),
    3558: LabelError(5, 0, (1, 4, 0)),
    5937: LabelError(5, 3, (1, 3, 1)),
    6651: LabelError(0, 6, (0, 5, 0)),
    6783: LabelError(1, 6, (2, 3, 0)),
    8527: LabelError(4, 9, (2, 2, 1)),
    9679: LabelError(6, 3, (2, 0, 3)),
    9729: LabelError(5, 6, (2, 3, 0)),
}


def label_errors(split: str) -> dict[int, LabelError]:
    """The confirmed label errors of a split ("test"; none are listed for "train")."""
    return MNIST_TEST_LABEL_ERRORS if split == "test" else {}


def suspicious_csv(split: str, indices: list[int], labels: np.ndarray) -> str:
    """A CSV of flagged images: split, index, label, and what human review said where it found the label wrong.

    Args:
        split: "train" or "test".
        indices: the flagged images' indices in that split.
        labels: (N,) the split's labels.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["split", "index", "label", "human_review"])
    known = label_errors(split)
    for i in sorted(set(int(i) for i in indices)):
        writer.writerow([split, i, int(labels[i]), known[i].describe() if i in known else ""])
    return out.getvalue()
