"""Rule pretrain: supervised warm start of the policy on the procedural suite's training split."""

import pandas as pd
import torch

from execrl.io import write_json
from execrl.logs import log_to
from execrl.policy.model import resolve_device, save_checkpoint
from execrl.rl.pretrain import PretrainConfig, new_policy, pretrain
from execrl.tasks.procedural import read_suite


def main(snakemake) -> None:
    with log_to(snakemake.log[0]) as log:
        torch.set_num_threads(snakemake.threads)
        params = snakemake.params
        tasks = read_suite(snakemake.input.tasks)
        train = [t for t in tasks if t.split == "train"]
        validation = [t for t in tasks if t.split == "validation"]
        policy = new_policy(**params.policy, seed=params.seed, device=resolve_device(params.device))
        config = PretrainConfig(**params.pretrain)
        log.info("warm start on %d tasks (%d validation), %d parameters, %s",
                 len(train), len(validation), policy.model.num_parameters(), config)
        history = pretrain(policy, train, validation, config, params.seed,
                           progress=lambda step, row: log.info("step %d: %s", step, row))
        save_checkpoint(snakemake.output.checkpoint, policy.model.cpu(), extra={"history": history}, tokenizer=policy.tokenizer)
        table = pd.DataFrame(history)
        table.drop(columns=["seconds"]).to_parquet(snakemake.output.metrics, index=False)
        write_json(snakemake.output.timings, {"seconds": history[-1]["seconds"], "steps": config.steps,
                                             "parameters": policy.model.num_parameters()})


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (injected by Snakemake's script directive)
