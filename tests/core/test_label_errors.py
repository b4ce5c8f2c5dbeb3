"""The MNIST test images whose label human review found wrong (Northcutt et al. 2021)."""

import csv
import io

import numpy as np

from mnist_core.label_errors import MNIST_TEST_LABEL_ERRORS, label_errors, suspicious_csv


def test_the_fifteen_confirmed_errors_agree_with_the_test_labels(mnist):
    assert len(MNIST_TEST_LABEL_ERRORS) == 15  # the paper's count for the MNIST test set
    for index, error in MNIST_TEST_LABEL_ERRORS.items():
        assert mnist.y_test[index] == error.given, index  # 0-based indices into the standard test files
        given, guessed, neither = error.votes
        assert given + guessed + neither == 5 and given < 3  # most of the five reviewers rejected the label
    assert label_errors("test") is MNIST_TEST_LABEL_ERRORS and label_errors("train") == {}


def test_what_the_reviewers_said_is_told_plainly():
    assert MNIST_TEST_LABEL_ERRORS[947].describe() == "reviewers: a 9 (5 of 5), not an 8"
    assert MNIST_TEST_LABEL_ERRORS[947].reviewers_say == 9
    assert "neither 6 nor 1" in MNIST_TEST_LABEL_ERRORS[2654].describe()  # 3 of 5 chose neither
    assert MNIST_TEST_LABEL_ERRORS[2130].reviewers_say is None  # 2 / 2 / 1: no majority
    assert "split" in MNIST_TEST_LABEL_ERRORS[2130].describe()


def test_flagged_digits_export_as_csv_of_indices():
    labels = np.zeros(10_000, np.int64)
    labels[947], labels[12] = 8, 9
    rows = list(csv.DictReader(io.StringIO(suspicious_csv("test", [947, 12, 947], labels))))
    assert [(r["split"], r["index"], r["label"]) for r in rows] == [("test", "12", "9"), ("test", "947", "8")]
    assert rows[0]["human_review"] == "" and "a 9" in rows[1]["human_review"]
