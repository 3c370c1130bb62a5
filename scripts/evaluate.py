"""Rule evaluate: a policy on the test split: single-turn, multi-turn and multi-step, visible and hidden."""

import torch

from execrl.logs import log_to
from execrl.policy.model import resolve_device
from execrl.policy.sampling import GPTPolicy
from execrl.rl.evaluate import EvalConfig, evaluate, summarize
from execrl.sandbox import Sandbox
from execrl.tasks.procedural import read_suite


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        torch.set_num_threads(snakemake.threads)
        params = snakemake.params
        policy, _, _ = GPTPolicy.from_checkpoint(snakemake.input.policy)
        policy.model.to(resolve_device(params.device))
        tasks = [t for t in read_suite(snakemake.input.tasks) if t.split == "test"]
        config = EvalConfig(**params.evaluate)
        with Sandbox(workers=params.sandbox_workers) as sandbox:
            episodes = evaluate(policy, sandbox, tasks, config, seed=params.seed)
        episodes.to_parquet(snakemake.output.episodes, index=False)
        summary = summarize(episodes)
        summary.to_parquet(snakemake.output.summary, index=False)
        log.info("pass@k on %d test tasks:\n%s", len(tasks), summary.to_string())


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
