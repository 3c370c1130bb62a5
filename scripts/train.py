"""Rule train: one GRPO-family run (method x reward x seed) from the warm start, resumable."""

import hashlib
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from execrl.logs import log_to
from execrl.policy.model import resolve_device, save_checkpoint
from execrl.policy.sampling import GPTPolicy
from execrl.rl.trainer import TrainConfig, train
from execrl.sandbox import Sandbox
from execrl.tasks.procedural import read_suite


def starting_point(inputs) -> str:
    """Hashes of the warm start and the task file: what a resume point must have started from."""
    return "-".join(hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] for path in (inputs.warm_start, inputs.tasks))


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        torch.set_num_threads(snakemake.threads)
        wildcards, params = snakemake.wildcards, snakemake.params
        config = TrainConfig(method=wildcards.method, reward=wildcards.reward, seed=int(wildcards.seed), **params.train)
        policy, _, _ = GPTPolicy.from_checkpoint(snakemake.input.warm_start)
        policy.model.to(resolve_device(params.device)).train()
        suite = read_suite(snakemake.input.tasks)
        tasks = [t for t in suite if t.split == "train"]
        validation = [t for t in suite if t.split == "validation"]
        resume = Path(snakemake.params.resume)
        log.info("training %s on %d tasks; resume point %s", config, len(tasks), resume)
        with tqdm(total=config.steps, desc=f"{config.method}/{config.reward}/s{config.seed}", file=open(snakemake.log[1], "w")) as bar, \
                Sandbox(workers=params.sandbox_workers) as sandbox:
            def progress(step, row):
                bar.n = step
                bar.set_postfix(reward=f"{row['reward_mean']:.3f}", visible=f"{row['visible_pass']:.3f}")
                log.info("step %d: %s", step, row)

            result = train(policy, tasks, config, sandbox, resume, progress, fingerprint=starting_point(snakemake.input),
                           validation=validation)
        pd.DataFrame(result.metrics).to_parquet(snakemake.output.metrics, index=False)
        pd.DataFrame(result.timings).to_parquet(snakemake.output.timings, index=False)
        pd.DataFrame(result.curve).to_parquet(snakemake.output.curve, index=False)
        save_checkpoint(snakemake.output.policy, policy.model.cpu(), extra={"config": vars(config)}, tokenizer=policy.tokenizer)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
