from tests.contract.moto_support import aws_env

__all__ = ["aws_env"]
