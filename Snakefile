# execrl: what is execution feedback worth as a reinforcement-learning signal for code agents?
# Thin entry point: the rules live in workflow/rules/, the logic in the execrl package, the
# defaults and their documentation in config/config.yaml and workflow/schemas/config.schema.yaml.

from snakemake.utils import min_version

min_version("9.27")


configfile: "config/config.yaml"


report: "report/captions/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/tasks.smk"
include: "workflow/rules/sandbox.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        rules.report.output.html,
    default_target: True
