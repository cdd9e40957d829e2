"""Synthesis at scale: the CDK app with 10, 100 and 1,000 generated customers.

Runs ``python -m infra.app`` in a subprocess per size, as ``cdk synth`` does (the cloud
assembly goes to a temporary directory; context from cdk.json plus ``generated_customers``),
and reads the templates back: time, stacks, resources of the platform and of the largest
stack against CloudFormation's 500, and the per-API quota items of the front door (none:
each customer has a Function URL, so there are no routes or integrations to count).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Row

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10, 100, 1000)
RESOURCES_PER_STACK = 500
STACKS_PER_ACCOUNT = 2000


def synthesize(generated: int, outdir: Path) -> float:
    """Seconds to synthesize acme plus ``generated`` customers into ``outdir``."""
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    context |= {"examples": "acme", "generated_customers": str(generated)}
    env = dict(os.environ, CDK_OUTDIR=str(outdir), CDK_CONTEXT_JSON=json.dumps(context))
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "infra.app"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def resource_counts(outdir: Path) -> dict[str, int]:
    counts = {}
    for path in outdir.glob("*.template.json"):
        template = json.loads(path.read_text(encoding="utf-8"))
        counts[path.name.removesuffix(".template.json")] = len(template["Resources"])
    return counts


def run() -> list[Row]:
    rows: list[Row] = []
    platform_sizes: set[int] = set()
    for size in SIZES:
        with tempfile.TemporaryDirectory(prefix="pivotkit-synth-") as tmp:
            seconds = synthesize(size, Path(tmp))
            counts = resource_counts(Path(tmp))
        platform = counts.pop("pivotkit-dev")
        platform_sizes.add(platform)
        largest = max(counts, key=counts.__getitem__)
        rows += [
            Row(
                "synth scale",
                f"{size} generated customers + acme: synthesis",
                f"{seconds:.1f} s",
                f"{len(counts) + 1} stacks (of {STACKS_PER_ACCOUNT} per account by default)",
            ),
            Row(
                "synth scale",
                f"{size} generated customers: resources",
                f"{sum(counts.values()) + platform} in all",
                f"platform {platform}; largest stack {largest} {counts[largest]}"
                f" of {RESOURCES_PER_STACK}",
            ),
        ]
    rows.append(
        Row(
            "synth scale",
            "platform resources at every size",
            ", ".join(str(n) for n in sorted(platform_sizes)),
            "one value: the platform does not grow with customers",
        )
    )
    rows.append(
        Row(
            "synth scale",
            "per-API quota items (HTTP API routes, integrations)",
            "0 of 300",
            "no API Gateway: one Function URL per customer (docs/deploy.md)",
        )
    )
    return rows
