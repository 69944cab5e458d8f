#!/usr/bin/env bash
# `make validate-rules`: Falco's own validation (falco -V) of every rules file, in the pinned image.
set -u
image=$1; shift
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "No Docker daemon answers, so Falco's own validation (falco -V in $image) cannot run here; make lint-rules still checks the rules." >&2
  exit 1
fi
args=(-V /etc/falco/falco_rules.yaml)
for f in "$@"; do args+=(-V "/rules/$(basename "$f")"); done
exec docker run --rm -v "$PWD/rules:/rules:ro" "$image" falco "${args[@]}"
