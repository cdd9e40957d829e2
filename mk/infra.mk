# AWS CDK deployment (infra/): synthesis, template checks, the dependency layer's pins.
# Uses setup, BIN and UV from the main Makefile. Nothing here needs AWS credentials or Docker.

CDK_OUT := cdk.out
CHECKOV_VERSION := 3.3.30
# Extra arguments for the CDK CLI, e.g. `make synth CDK_ARGS="-c stage=prod"`.
CDK_ARGS ?=
# `make deploy-customer CUSTOMER=acme STAGE=prod`: one customer's stack, nothing else.
CUSTOMER ?=
STAGE ?= dev
# `make synth-scale`: the platform plus this many synthetic customers (not for deploying).
SCALE_CUSTOMERS ?= 1000
# Node 20 still runs jsii and the CDK CLI; silence jsii's end-of-life banner on every call.
# No instance-metadata probing for credentials, no CLI telemetry: synthesis stays offline.
INFRA_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 AWS_EC2_METADATA_DISABLED=true \
	CDK_DISABLE_CLI_TELEMETRY=true

.PHONY: synth synth-all synth-scale deploy-customer infra-lint layer-requirements asset-sizes

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# cdk.json runs `.venv/bin/python -m infra.app`; the app applies cdk-nag's AwsSolutions pack,
# so an unacknowledged finding fails here.
synth: setup node_modules/.installed
	$(INFRA_ENV) npx --no-install aws-cdk synth --quiet $(CDK_ARGS)
	@echo "make synth: wrote $$(ls $(CDK_OUT)/*.template.json | tr '\n' ' ')(offline; deploy with npx aws-cdk deploy)"

# 1,000 generated customers (docs/deploy.md): minutes on two cores, into its own directory
# so cdk.out keeps the real customers for infra-lint and asset-sizes.
synth-scale: setup node_modules/.installed
	$(INFRA_ENV) npx --no-install aws-cdk synth --quiet -o $(CDK_OUT).scale \
		-c generated_customers=$(SCALE_CUSTOMERS) -c examples=acme $(CDK_ARGS)

# Deploys the platform's values must already exist for (deploy pivotkit-$(STAGE) first).
# infra.targets refuses an unknown customer with the list of known ones, and prints the stack
# and the context selecting it (customers=<slug>, or examples=<slug> for one of the kit's).
deploy-customer: setup node_modules/.installed
	@test -n "$(CUSTOMER)" || { echo "usage: make deploy-customer CUSTOMER=<slug> [STAGE=dev|prod]" >&2; exit 2; }
	target=$$($(INFRA_ENV) $(BIN)/python -m infra.targets "$(CUSTOMER)" "$(STAGE)") && \
	set -- $$target && \
	$(INFRA_ENV) npx --no-install aws-cdk deploy "$$1" --exclusively \
		-c stage=$(STAGE) -c "$$2" $(CDK_ARGS)

# The kit's own checks cover its examples' stacks too: `make test` synthesizes them all
# (the operator's customers and -c examples=all) before linting the templates.
synth-all: setup node_modules/.installed
	$(INFRA_ENV) npx --no-install aws-cdk synth --quiet -c examples=all $(CDK_ARGS)

# W3005 (a DependsOn that a GetAtt already implies) is how CDK orders a function after its
# role's policy; it is harmless, so only errors fail the build.
infra-lint: synth-all
	$(BIN)/cfn-lint --non-zero-exit-code error --ignore-checks W3005 -- $(CDK_OUT)/*.template.json
	$(UV) tool run --from checkov==$(CHECKOV_VERSION) checkov \
		--config-file infra/.checkov.yaml -f $(CDK_OUT)/*.template.json

# Regenerate layers/requirements.txt after a change to the runtime dependencies in uv.lock.
layer-requirements: $(UV)
	{ echo "# The Lambda dependency layer's exact pins, generated from uv.lock by 'make layer-requirements'."; \
	  echo "# boto3 is not here: the Lambda runtime provides it. tests/infra checks this file against uv.lock."; \
	  $(UV) export --frozen --no-dev --no-emit-project --no-header --format requirements-txt; \
	} > layers/requirements.txt

# Zipped function assets and the unzipped layer, as deployed from the last synth.
asset-sizes: synth-all
	$(BIN)/python -m infra.asset_sizes $(CDK_OUT)
