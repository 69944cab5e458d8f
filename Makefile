# sib-detection. Set-up on a fresh machine: `make up` (dev stack on local Docker) and `make test`.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STACK ?= dev
PULUMI_MIN_VERSION := 3.208.0
# Local file backend inside the repo unless PULUMI_BACKEND_URL is set: no Pulumi Cloud account needed.
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
STACK_TARGET = $(shell grep -E '^\s*sib-detection:target:' stacks/Pulumi.$(STACK).yaml | awk '{print $$2}')

.PHONY: up preview test bench lint-rules validate-rules preflight-up preflight-preview render diff deps

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

lint-rules: $(BIN)/.installed
	$(BIN)/python tools/lint_rules.py

FALCO_IMAGE := $(shell grep -A3 '^  falcoImage:' Pulumi.yaml | sed -n 's/^    default: //p')
validate-rules: lint-rules
	@scripts/validate-rules.sh $(FALCO_IMAGE) $(sort $(wildcard rules/*.yaml))

# Offline review, no credentials: what a stack deploys, and what a change does to every stack.
OUT ?= rendered/$(STACK)
render: $(BIN)/.installed
	$(BIN)/python tools/render.py $(STACK) $(OUT)

# BASE: any git ref (HEAD: your uncommitted edits). Every changed stack unless STACK is given.
BASE ?= HEAD
diff: $(BIN)/.installed
	$(BIN)/python tools/diff.py --base $(BASE) $(if $(filter command line environment,$(origin STACK)),--stack $(STACK)) $(DIFF_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python tools/bench.py

stack-select = mkdir -p .pulumi-state && pulumi stack select --create $(STACK) --secrets-provider passphrase

# The policy pack (policy/) runs in its own virtualenv, as PulumiPolicy.yaml says. A stack's reviewed
# exceptions live in policy/config.<stack>.json (README: Policies).
POLICY_VENV := policy/venv
$(POLICY_VENV)/.installed: policy/requirements.txt
	test -x $(POLICY_VENV)/bin/python || $(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@
# What CI installs before running Pulumi: the program's and the policy pack's virtualenvs.
deps: $(BIN)/.installed $(POLICY_VENV)/.installed

POLICY_ARGS = --policy-pack policy $(if $(wildcard policy/config.$(STACK).json),--policy-pack-config policy/config.$(STACK).json)

preflight-up:
	@scripts/preflight.sh $(PULUMI_MIN_VERSION) docker

preflight-preview:
	@scripts/preflight.sh $(PULUMI_MIN_VERSION) $(or $(STACK_TARGET),kubernetes)

# `make up` is the dev stack, whatever STACK says.
up: STACK = dev
up: preflight-up $(BIN)/.installed $(POLICY_VENV)/.installed
	$(stack-select)
	pulumi up --stack dev $(POLICY_ARGS)

preview: preflight-preview $(BIN)/.installed $(POLICY_VENV)/.installed
	$(stack-select)
	pulumi preview --diff --stack $(STACK) $(POLICY_ARGS)
