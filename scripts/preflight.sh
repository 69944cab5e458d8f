#!/usr/bin/env bash
# Stop `make up` / `make preview` at once, with one sentence, when a tool they need is missing.
# Usage: scripts/preflight.sh <minimum pulumi version> <target: docker|kubernetes>
set -u
min=$1 target=$2
if ! command -v pulumi >/dev/null 2>&1; then
  echo "The Pulumi CLI is not installed: install version $min or newer (https://www.pulumi.com/docs/install/) and run this again." >&2
  exit 1
fi
have=$(pulumi version 2>/dev/null | sed 's/^v//')
if [ "$(printf '%s\n%s\n' "$min" "$have" | sort -V | head -n1)" != "$min" ]; then
  echo "The Pulumi CLI is version $have but this project needs $min or newer (pulumi upgrade, or https://www.pulumi.com/docs/install/)." >&2
  exit 1
fi
if [ "$target" = docker ] && ! docker info >/dev/null 2>&1; then
  echo "No Docker daemon answers: install and start Docker (or set docker:host for a remote one) and run this again." >&2
  exit 1
fi
exit 0
