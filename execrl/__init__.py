"""execrl: what is execution feedback worth as a reinforcement-learning signal for code agents?

Subpackages: ``sandbox`` (running untrusted code), ``tasks`` (benchmark problems and test tiers),
``reporting`` (figures and the HTML report). Each is importable without Snakemake.
"""

__version__ = "0.1.0"
