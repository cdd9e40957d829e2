"""The one Lambda platform every pivotkit function and the dependency layer are built for.

Runtime and architecture are decided here once: the functions, the layer's compatible
runtimes and the wheels pip downloads for the layer must all agree, or a function imports a
``pydantic_core`` built for another interpreter or CPU and fails at its first cold start.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_lambda


@dataclass(frozen=True)
class LambdaPlatform:
    runtime: aws_lambda.Runtime
    architecture: aws_lambda.Architecture
    # What pip needs to fetch wheels for that runtime from a machine that is not one.
    python_version: str
    pip_platform: str
    pip_implementation: str = "cp"


# Python 3.13 on Graviton (arm64): cheaper per ms than x86_64 and Amazon Linux 2023 based.
LAMBDA_PLATFORM = LambdaPlatform(
    runtime=aws_lambda.Runtime.PYTHON_3_13,
    architecture=aws_lambda.Architecture.ARM_64,
    python_version="3.13",
    pip_platform="manylinux2014_aarch64",
)
