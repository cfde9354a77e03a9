#!/usr/bin/env bash
# The README's first command: prepares a fresh machine and runs the main job end to end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-env.sh
exec bun run --silent semente validate configs/seed_profiles/dev/banco-alfa.yaml
