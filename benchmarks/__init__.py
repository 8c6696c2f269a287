"""The async benchmark suite: every backend through the SDK and through its raw driver.

Run ``python -m benchmarks --help`` (or ``nox -s bench``). Results land in
``benchmarks/results/`` as Markdown, JSON and a PNG chart; ``benchmarks/README.md`` explains
the workloads and shows the latest numbers.
"""
