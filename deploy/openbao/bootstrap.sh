#!/bin/sh
# One-off bootstrap of the Transit engine used for PII masking and evidence signing.
# Run inside the openbao container after init/unseal, with an admin token in BAO_TOKEN:
#   docker compose exec -e BAO_TOKEN openbao sh /openbao/config/bootstrap.sh staging banco-alfa banco-beta
# Keys are per environment × tenant (HMAC keys for format-preserving masking) plus one
# ed25519 key that signs evidence reports. Re-running is safe: existing mounts/keys are kept.
set -eu
env="$1"; shift
bao secrets list -format=json | grep -q '"transit/"' || bao secrets enable transit
for tenant in "$@"; do
  bao read "transit/keys/pii-${env}-${tenant}" >/dev/null 2>&1 ||
    bao write -f "transit/keys/pii-${env}-${tenant}" type=aes256-gcm96
done
bao read transit/keys/semente-evidence >/dev/null 2>&1 ||
  bao write -f transit/keys/semente-evidence type=ed25519
bao policy write semente-seeder - <<'POLICY'
path "transit/hmac/pii-*" { capabilities = ["update"] }
path "transit/keys/pii-*" { capabilities = ["read"] }
POLICY
bao policy write semente-evidence - <<'POLICY'
path "transit/sign/semente-evidence" { capabilities = ["update"] }
path "transit/verify/semente-evidence" { capabilities = ["update"] }
POLICY
echo "transit ready for ${env}: $*"
