"""Reinforcement learning with execution rewards: group advantages and the GRPO-family losses.

``execrl.rl.losses`` holds the advantages, the five losses (``grpo``, ``grpo_plus``, ``dapo``,
``dr_grpo``, ``seed_grpo_plus``) and DAPO's reward shaping and dynamic sampling. Import it directly;
this package file stays import-light (no torch at import time).
"""
