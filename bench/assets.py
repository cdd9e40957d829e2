"""Asset sizes from the last `make synth` (`make bench` synthesizes first): each function's
zipped code and the dependency layer, unzipped and zipped."""

from __future__ import annotations

from pathlib import Path

from bench.harness import Row
from infra.asset_sizes import FUNCTION_ZIPPED_TARGET, LAYER_UNZIPPED_TARGET, measure_assets

CDK_OUT = Path(__file__).resolve().parent.parent / "cdk.out"


def run() -> list[Row]:
    sizes = measure_assets(CDK_OUT)
    if not sizes:
        return [Row("assets", "(no cloud assembly)", "-", "run `make synth` first")]
    functions = [s for s in sizes if s.kind == "function"]
    layers = {s.path: s for s in sizes if s.kind == "layer"}.values()
    largest = max(functions, key=lambda s: s.zipped_bytes)
    smallest = min(functions, key=lambda s: s.zipped_bytes)
    rows = [
        Row(
            "assets",
            f"function code, zipped ({len(functions)} functions)",
            f"{smallest.zipped_bytes / 1024:.0f}-{largest.zipped_bytes / 1024:.0f} KB",
            f"largest: {largest.name}; target < {FUNCTION_ZIPPED_TARGET // 1024} KB",
        ),
    ]
    rows += [
        Row(
            "assets",
            "dependency layer",
            f"{layer.unzipped_bytes / 2**20:.1f} MB unzipped",
            f"{layer.zipped_bytes / 2**20:.1f} MB zipped; target < "
            f"{LAYER_UNZIPPED_TARGET // 2**20} MB unzipped",
        )
        for layer in layers
    ]
    return rows
