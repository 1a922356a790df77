"""Prints tensors in nnc-repl and in NumPy and compares the text: the REPL
must print every case exactly as np.array2string(a, separator=', ') does
(75 columns, as the REPL when its output is not a terminal). Exits 1 and
shows both on any difference.

Usage: numpy_print.py NNC_REPL [--wrong]   (--wrong perturbs one expected
value, to show that a difference is caught)"""
import subprocess
import sys

import numpy as np

CASES = [
    ("[1.0, 2.5]", np.array([1.0, 2.5])),
    ("[1.0, 2.0]", np.array([1.0, 2.0])),
    ("[1.0, 2.0] / 3", np.array([1.0, 2.0]) / 3),
    ("softmax([[0.0, 0, 0, 0], [1000, 1000, 0, 0]])",
     np.array([[0.25] * 4, [0.5, 0.5, 0, 0]])),
    ("[0.00001, 1.5]", np.array([0.00001, 1.5])),
    ("[1e10, -2.0]", np.array([1e10, -2.0])),
    ("[-0.5, 3.25, 100.125]", np.array([-0.5, 3.25, 100.125])),
    ("[-0.0, 1.0]", np.array([-0.0, 1.0])),
    ("[0.0, 0.0]", np.zeros(2)),
    ("[123456789.0, 1.0]", np.array([123456789.0, 1.0])),
    ("[1e-300, 1e300]", np.array([1e-300, 1e300])),
    ("f32([0.1, 0.2, 0.3])", np.array([0.1, 0.2, 0.3], dtype=np.float32)),
    ("f32([1.0, 2.0]) / 3", np.array([1, 2], dtype=np.float32) / np.float32(3)),
    ("log([0.0, 1.0, 2.0]) + sqrt([1.0, 1.0, -1.0])",
     np.log([0.0, 1.0, 2.0]) + np.sqrt([1.0, 1.0, -1.0])),
    ("-exp([1000.0, 0.0]) * [1.0, 1e-7]",
     -np.exp([1000.0, 0.0]) * np.array([1.0, 1e-7])),
    ("iota([40], axis=0)", np.arange(40)),
    ("f64(iota([40], axis=0)) / 7", np.arange(40) / 7),
    ("f64(iota([3, 30], axis=1)) * 1.5", np.tile(np.arange(30) * 1.5, (3, 1))),
    ("f64(iota([2, 2, 20], axis=2)) - 10",
     np.tile(np.arange(20) - 10.0, (2, 2, 1))),
    ("f64(iota([2000], axis=0)) * 0.25", np.arange(2000) * 0.25),
    ("f64(iota([50, 50], axis=0))",
     np.tile(np.arange(50.0)[:, None], (1, 50))),
]

def main():
    repl = sys.argv[1]
    wrong = "--wrong" in sys.argv[2:]
    failures = 0
    with np.errstate(all="ignore"):
        for i, (src, arr) in enumerate(CASES):
            if wrong and i == 0:
                arr = arr + 1
            want = np.array2string(arr, separator=", ", threshold=1000,
                                   edgeitems=3, max_line_width=75)
            out = subprocess.run([repl, "-e", src], capture_output=True,
                                 text=True)
            got = out.stdout.rstrip("\n")
            if out.returncode != 0 or got != want:
                failures += 1
                print(f"MISMATCH {src}\n--- nnc-repl:\n{got}{out.stderr}\n"
                      f"--- NumPy:\n{want}")
    print(f"{len(CASES) - failures} of {len(CASES)} print as NumPy")
    sys.exit(1 if failures else 0)

main()
