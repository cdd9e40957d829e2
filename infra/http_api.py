"""The HTTP API in front of the functions: routes, throttling, access logs, custom domain.

Routes are literal per customer (``/pivot/acme``): a customer's path can only ever reach
that customer's function, a request for an unknown customer is a 404 from API Gateway
without invoking anything, and each Lambda permission is scoped to its own routes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsii
from aws_cdk import (
    Acknowledgment,
    Duration,
    Validations,
    aws_apigateway,
    aws_apigatewayv2,
    aws_lambda,
    aws_logs,
    aws_route53,
    aws_route53_targets,
)
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

from infra.settings import CustomDomain, DeploymentSettings

GET = aws_apigatewayv2.HttpMethod.GET
POST = aws_apigatewayv2.HttpMethod.POST
PUT = aws_apigatewayv2.HttpMethod.PUT
PIVOT_METHODS = (GET, POST)
MEDIA_METHODS = (GET, PUT, POST)
# API Gateway waits one second longer than a Pivot function may run, so a slow function
# shows up as a Lambda timeout in its own logs rather than as an anonymous 503 here.
PIVOT_INTEGRATION_TIMEOUT = Duration.seconds(6)
MEDIA_INTEGRATION_TIMEOUT = Duration.seconds(25)

# One JSON object per request. The path and the query string are left out on purpose:
# they carry customer tokens (`?token=` and `/media/<customer>/<token>/...`).
ACCESS_LOG_FORMAT: Mapping[str, str] = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTimeEpoch",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "integrationError": "$context.integration.error",
    "errorMessage": "$context.error.message",
}

_NO_AUTHORIZER_REASON = (
    "Kazoo cannot send credentials in headers; every route's URL carries the customer's"
    " token, which the function checks in constant time before doing anything else."
)


@jsii.implements(aws_apigatewayv2.IAccessLogSettings)
class _JsonAccessLogs:
    def __init__(self, log_group: aws_logs.ILogGroup) -> None:
        self._destination = aws_apigatewayv2.LogGroupLogDestination(log_group)
        self._format = aws_apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT))

    @property
    def destination(self) -> aws_apigatewayv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> aws_apigateway.AccessLogFormat:
        return self._format


class PivotHttpApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings):
        super().__init__(scope, construct_id)
        self.api = aws_apigatewayv2.HttpApi(
            self,
            "Api",
            api_name=settings.name_prefix,
            description="Kazoo Pivot and media endpoints (pivotkit)",
            # The default stage is made below, where access logs and throttling can be set.
            create_default_stage=False,
        )
        self.access_logs = aws_logs.LogGroup(
            self,
            "AccessLogs",
            retention=settings.policy.log_retention,
            removal_policy=settings.policy.removal_policy,
        )
        self.domain = _domain_name(self, settings.domain)
        self.stage = aws_apigatewayv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=aws_apigatewayv2.ThrottleSettings(
                rate_limit=settings.throttle_rate, burst_limit=settings.throttle_burst
            ),
            access_log_settings=_JsonAccessLogs(self.access_logs),
            domain_mapping=(
                aws_apigatewayv2.DomainMappingOptions(domain_name=self.domain)
                if self.domain is not None
                else None
            ),
        )
        self._custom_domain = settings.domain
        if self.domain is not None and settings.domain is not None:
            _alias_record(self, settings.domain, self.domain)

    @property
    def base_url(self) -> str:
        """``https://host`` the routes hang off (the custom domain when there is one)."""
        if self._custom_domain is not None:
            return self._custom_domain.base_url
        return self.api.api_endpoint

    def add_pivot_routes(self, slug: str, target: aws_lambda.IFunction) -> None:
        integration = integrations.HttpLambdaIntegration(
            f"Pivot-{slug}", target, timeout=PIVOT_INTEGRATION_TIMEOUT
        )
        # Continuation URLs may add path segments under the customer's path.
        for path in (f"/pivot/{slug}", f"/pivot/{slug}/{{proxy+}}"):
            self._add_routes(path, PIVOT_METHODS, integration)

    def add_media_routes(self, target: aws_lambda.IFunction) -> None:
        integration = integrations.HttpLambdaIntegration(
            "Media", target, timeout=MEDIA_INTEGRATION_TIMEOUT
        )
        # `/media/{customer}` alone serves a record_call url with a query (`?token=...`).
        for path in ("/media/{customer}", "/media/{customer}/{proxy+}"):
            self._add_routes(path, MEDIA_METHODS, integration)

    def _add_routes(
        self,
        path: str,
        methods: tuple[aws_apigatewayv2.HttpMethod, ...],
        integration: aws_apigatewayv2.HttpRouteIntegration,
    ) -> None:
        for route in self.api.add_routes(path=path, methods=list(methods), integration=integration):
            Validations.of(route).acknowledge(
                Acknowledgment(id="AwsSolutions-APIG4", reason=_NO_AUTHORIZER_REASON)
            )


def _domain_name(
    scope: Construct, domain: CustomDomain | None
) -> aws_apigatewayv2.DomainName | None:
    if domain is None:
        return None
    return aws_apigatewayv2.DomainName(
        scope,
        "Domain",
        domain_name=domain.name,
        certificate=acm.Certificate.from_certificate_arn(
            scope, "Certificate", domain.certificate_arn
        ),
        security_policy=aws_apigatewayv2.SecurityPolicy.TLS_1_2,
    )


def _alias_record(
    scope: Construct, domain: CustomDomain, domain_name: aws_apigatewayv2.DomainName
) -> None:
    """An alias A record for the domain, when the Route 53 zone was named in the context."""
    if domain.hosted_zone_id is None or domain.hosted_zone_name is None:
        return
    zone = aws_route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
    )
    aws_route53.ARecord(
        scope,
        "DomainAlias",
        zone=zone,
        record_name=domain.name,
        target=aws_route53.RecordTarget.from_alias(
            aws_route53_targets.ApiGatewayv2DomainProperties(
                domain_name.regional_domain_name, domain_name.regional_hosted_zone_id
            )
        ),
    )
