#!/bin/sh
# LocalStack runs this once every service is up. It only marks readiness: the
# compose health check waits for the mark, and the deploy itself runs in the
# one-shot `init` container (never inside LocalStack's own process).
set -eu
mkdir -p /tmp/causal-analysis
date -u +%Y-%m-%dT%H:%M:%SZ > /tmp/causal-analysis/localstack-ready
echo "causal-analysis: LocalStack ready; the init service deploys the stack"
