"""Sizes of the synthesized Lambda assets: what a deploy uploads and what a cold start loads.

``python -m infra.asset_sizes cdk.out`` prints one line per function code asset and layer.
Function code is measured zipped (the upload, and what Lambda downloads on a cold start;
target under 200 KB), the layer unzipped (Lambda's 250 MB unzipped limit counts it; target
under 20 MB).
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infra.customer_stack import HANDLER

FUNCTION_ZIPPED_TARGET = 200 * 1024
LAYER_UNZIPPED_TARGET = 20 * 1024 * 1024
_OUR_HANDLERS = frozenset({HANDLER})


@dataclass(frozen=True)
class AssetSize:
    stack: str
    kind: str  # "function" or "layer"
    name: str
    path: Path
    files: int
    unzipped_bytes: int
    zipped_bytes: int

    @property
    def within_target(self) -> bool:
        if self.kind == "layer":
            return self.unzipped_bytes < LAYER_UNZIPPED_TARGET
        return self.zipped_bytes < FUNCTION_ZIPPED_TARGET


def zipped_size(directory: Path) -> tuple[int, int, int]:
    """(files, unzipped bytes, zipped bytes) of ``directory`` deflated as CDK uploads it."""
    buffer = io.BytesIO()
    files = unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(directory).as_posix())
            files += 1
            unzipped += path.stat().st_size
    return files, unzipped, len(buffer.getvalue())


def lambda_assets(cdk_out: Path) -> Iterator[tuple[str, str, str, Path]]:
    """(stack, kind, name, asset directory) for our functions and layers in a cloud assembly.

    A function's ``Code.S3Key`` (a layer's ``Content.S3Key``) is ``<asset hash>.zip``; the
    stack's asset manifest maps that hash to the staged directory.
    """
    for template_path in sorted(cdk_out.glob("*.template.json")):
        stack = template_path.name.removesuffix(".template.json")
        template = json.loads(template_path.read_text(encoding="utf-8"))
        manifest = json.loads((cdk_out / f"{stack}.assets.json").read_text(encoding="utf-8"))
        staged = {h: cdk_out / f["source"]["path"] for h, f in manifest.get("files", {}).items()}
        for logical_id, resource in template.get("Resources", {}).items():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::Lambda::LayerVersion":
                kind, name, location = "layer", logical_id, properties.get("Content", {})
            elif properties.get("Handler") in _OUR_HANDLERS:
                kind, name = "function", str(properties.get("FunctionName", logical_id))
                location = properties.get("Code", {})
            else:
                continue
            key = location.get("S3Key")
            if isinstance(key, str) and key.removesuffix(".zip") in staged:
                yield stack, kind, name, staged[key.removesuffix(".zip")]


def measure_assets(cdk_out: Path) -> list[AssetSize]:
    sizes = []
    measured: dict[Path, tuple[int, int, int]] = {}  # stacks share assets (the layer)
    for stack, kind, name, path in lambda_assets(cdk_out):
        if path not in measured:
            measured[path] = zipped_size(path)
        files, unzipped, zipped = measured[path]
        sizes.append(AssetSize(stack, kind, name, path, files, unzipped, zipped))
    return sizes


def format_table(sizes: list[AssetSize]) -> str:
    lines = [f"{'stack':<28} {'kind':<9} {'name':<36} {'files':>6} {'unzipped':>11} {'zipped':>10}"]
    for size in sizes:
        flag = "" if size.within_target else "  OVER TARGET"
        lines.append(
            f"{size.stack:<28} {size.kind:<9} {size.name:<36} {size.files:>6}"
            f" {size.unzipped_bytes / 1024:>8.0f} KB {size.zipped_bytes / 1024:>7.0f} KB{flag}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    cdk_out = Path(argv[1] if len(argv) > 1 else "cdk.out")
    sizes = measure_assets(cdk_out)
    if not sizes:
        print(f"no Lambda assets in {cdk_out}; run `make synth` first", file=sys.stderr)
        return 1
    print(format_table(sizes))
    return 0 if all(size.within_target for size in sizes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
