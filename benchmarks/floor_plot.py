"""The floor of the plot case: import torch and matplotlib, save a two-point line plot.

python benchmarks/floor_plot.py OUT.png
"""

import sys

import matplotlib
import torch  # noqa: F401  (lrplan show imports it too: the floor pays for it as well)

matplotlib.use("Agg")
import matplotlib.pyplot as plt

plt.plot([0, 1], [1e-3, 1e-5])
plt.savefig(sys.argv[1])
