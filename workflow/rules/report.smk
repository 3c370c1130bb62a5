# Stage 5: the shareable HTML report.


rule report:
    """Render results/report/index.html from the Jinja2 templates in report/."""
    input:
        humaneval_summary=rules.humaneval_tasks.output.summary,
        mbppplus_summary=rules.mbpp_tasks.output.summary,
        humaneval_scores=f"{RESULTS}/tasks/humaneval_mutation_scores.json",
        mbppplus_scores=f"{RESULTS}/tasks/mbppplus_mutation_scores.json",
        procedural=rules.procedural_tasks.output.summary,
        verdicts=rules.sandbox_verdicts.output.summary,
        hostile=rules.hostile_suite.output.table,
        hostile_summary=rules.hostile_suite.output.summary,
        capabilities=rules.hostile_suite.output.capabilities,
        benchmark=rules.sandbox_benchmark.output.summary,
        pretrain_metrics=rules.pretrain.output.metrics,
        pretrain_timings=rules.pretrain.output.timings,
        gains=rules.training_summary.output.gains,
        train_benchmark=rules.train_benchmark.output.summary,
        signal_quality=rules.signal_quality.output.quality,
        signal_figure=rules.signal_quality.output.figure,
        progression=rules.complexity_progression.output.progression,
        decay_fits=rules.complexity_progression.output.fits,
        turns=rules.complexity_progression.output.turns,
        progression_figure=rules.complexity_progression.output.figure,
        overestimation=rules.verification_paradox.output.overestimation,
        hacking=rules.verification_paradox.output.hacking,
        control_summary=rules.verification_paradox.output.control_summary,
        paradox_figure=rules.verification_paradox.output.figure,
        hacking_figure=rules.verification_paradox.output.hacking_figure,
        claims=rules.claims.output.claims,
        training_curves=rules.training_curves.output.curves,
        training_curves_figure=rules.training_curves.output.figure,
        task_gains=rules.training_summary.output.task_gains,
        learning_curves=rules.training_curves.output.learning,
        learning_curves_figure=rules.training_curves.output.learning_figure,
        index=f"{TEMPLATE_DIR}/index.html.j2",
        templates=sorted(str(p) for p in Path(TEMPLATE_DIR).glob("*") if p.is_file()),
    output:
        html=report(f"{RESULTS}/report/index.html", caption="../../report/captions/report.rst", category="Report"),
    params:
        config=config,
        benchmarks=f"{RESULTS}/benchmarks",  # read, not an input: run times vary and must not rerun the report
        code=code("reporting", "provenance.py", "io.py", "analysis/figures.py", "analysis/progression.py", "analysis/stats.py",
                  "rl/rewards.py"),
    log:
        f"{RESULTS}/logs/report.log",
    benchmark:
        f"{RESULTS}/benchmarks/report.tsv"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../../scripts/report.py"
