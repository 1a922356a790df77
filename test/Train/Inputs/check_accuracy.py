"""Checks the output of nnc train: its last line is `test accuracy: X` with
X a number of at least THRESHOLD. NaN, inf, a missing line or a line that
is not the last fail.

  check_accuracy.py OUTPUT THRESHOLD
"""
import math
import sys

lines = open(sys.argv[1]).read().splitlines()
threshold = float(sys.argv[2])
if not lines or not lines[-1].startswith("test accuracy: "):
    sys.exit("FAIL: the last line is not 'test accuracy: X'")
accuracy = float(lines[-1].split(": ", 1)[1])
if not math.isfinite(accuracy) or not accuracy >= threshold:
    sys.exit("FAIL: test accuracy %s, expected at least %s" % (accuracy, threshold))
print("PASS: test accuracy %.4f >= %s" % (accuracy, threshold))
