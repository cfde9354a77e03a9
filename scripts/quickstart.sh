#!/usr/bin/env bash
# The README's first command: prepares a fresh machine, starts the local stack (gateway, planner,
# two seeders, evidence when present) and seeds the canonical dev baseline end to end, printing the
# summary (rows per entity, dataset digest, elapsed time, evidence). `semente down` stops the stack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-env.sh

ci="${CI:-}"
if [[ -n "$ci" && "$ci" != "0" && "$ci" != "false" && "$ci" != "no" ]]; then
  # R4.4: the local dev key is refused under CI; a Vault/OpenBao Transit must be configured instead.
  if [[ "${KEY_PROVIDER:-vault-transit}" != "vault-transit" || -z "${VAULT_TOKEN:-}" ]]; then
    echo "[quickstart] CI detected: set KEY_PROVIDER=vault-transit, VAULT_ADDR and VAULT_TOKEN" >&2
    exit 5
  fi
else
  # Isolated dev: the dev-only key (and the dev JWT secret) live in the unversioned .env.local.
  export SEMENTE_ISOLATED_DEV=true
  export KEY_PROVIDER="${KEY_PROVIDER:-local-dev}"
  bun -e 'import { ensureDevKey } from "./packages/platform/src/keys/index.ts"; ensureDevKey(".env.local");'
  # Recorded in .env.local too, so `bun run semente up` finds them from a fresh shell.
  grep -q '^SEMENTE_ISOLATED_DEV=' .env.local || echo 'SEMENTE_ISOLATED_DEV=true' >> .env.local
  grep -q '^KEY_PROVIDER=' .env.local || echo "KEY_PROVIDER=${KEY_PROVIDER}" >> .env.local
fi

bun run --silent semente up
exec bun run --silent semente seed --profile configs/seed_profiles/dev/banco-alfa.yaml --follow
