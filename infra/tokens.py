"""Each customer's Secrets Manager secrets: its credentials seed, and its own secrets.

Kazoo signs nothing, so the token in each URL is the customer's only credential. Each
customer has a single secret holding ``{"seed": "<40 random letters and digits>"}``; the
function derives from the seed both the URL token and an independent key that signs
continuation URLs (``pivotkit.customers.derive_credentials``). Secrets Manager generates the
seed inside the JSON object (``generate_string_key``), so the value never appears in the
template, in the stack's outputs or on the operator's machine. A rotation adds
``"previous_seed"`` beside a new ``"seed"`` (docs/operations.md).

One credentials secret per customer: a secret costs $0.40 a month (``infra.idle_cost``).

``CustomerSecrets`` is the second secret, made only for a customer that declares secrets
(``Customer(secrets=("booking_api_key",))``): a JSON object name -> value that the operator
sets with ``aws secretsmanager put-secret-value`` and ``call.secrets[name]`` reads. It is
apart from the seed so that setting an API key can never overwrite the seed (a put replaces
the whole value), and it is created *empty*: the template holds no value at all, so no
deployment can reset what the operator stored (docs/deploy.md, "Configuration and secrets").
"""

from __future__ import annotations

import json

from aws_cdk import Acknowledgment, Validations, aws_secretsmanager
from constructs import Construct

from infra.names import customer_secrets_name, secret_name
from infra.settings import DeploymentSettings

# 40 letters and digits: about 238 bits, and safe wherever it is written down.
SEED_LENGTH = 40
SEED_KEY = "seed"

_ROTATION_REASON = (
    "Seeds are rotated by hand with the previous one still valid (docs/operations.md): the"
    " token derived from the seed is embedded in Kazoo callflows, which automatic rotation"
    " cannot update."
)


class CustomerSecret(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, slug: str, settings: DeploymentSettings
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = aws_secretsmanager.Secret(
            self,
            "Secret",
            secret_name=secret_name(settings, slug),
            description=f'Credentials seed of customer {slug}: {{"seed": ..., "previous_seed":'
            " ...}; the URL token and the continuation key are derived from it.",
            generate_secret_string=aws_secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({}),
                generate_string_key=SEED_KEY,
                password_length=SEED_LENGTH,
                exclude_punctuation=True,
                include_space=False,
            ),
            removal_policy=settings.policy.removal_policy,
        )
        Validations.of(self.secret).acknowledge(
            Acknowledgment(id="AwsSolutions-SMG4", reason=_ROTATION_REASON)
        )


_SECRETS_ROTATION_REASON = (
    "The customer's own secrets are keys of outside services (a booking API), issued and"
    " rotated there; the operator stores each new value with put-secret-value"
    " (docs/deploy.md), which reaches warm functions within their 300 s cache."
)


class CustomerSecrets(Construct):
    """The secret of a customer's declared secrets, created without a value."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        slug: str,
        names: tuple[str, ...],
        settings: DeploymentSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = aws_secretsmanager.Secret(
            self,
            "Secret",
            secret_name=customer_secrets_name(settings, slug),
            description=f"Secrets of customer {slug}, a JSON object of {', '.join(names)};"
            " set with aws secretsmanager put-secret-value (docs/deploy.md).",
            removal_policy=settings.policy.removal_policy,
        )
        # CDK generates a random string unless told otherwise; a secret with neither
        # GenerateSecretString nor SecretString is created empty, and stays the operator's.
        cfn = self.secret.node.default_child
        assert isinstance(cfn, aws_secretsmanager.CfnSecret)
        cfn.add_property_deletion_override("GenerateSecretString")
        Validations.of(self.secret).acknowledge(
            Acknowledgment(id="AwsSolutions-SMG4", reason=_SECRETS_ROTATION_REASON)
        )
