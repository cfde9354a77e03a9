#!/bin/sh
# One-off creation of the evidence bucket with Object Lock (COMPLIANCE, 400 days default
# retention, R7.2 asks for >= 1 year). Object Lock can only be enabled when the bucket is created.
# Run from any host with the AWS CLI and the credentials of deploy/secrets/s3.env:
#   S3_ENDPOINT=http://127.0.0.1:7070 sh deploy/s3/bootstrap.sh semente-evidence
set -eu
bucket="${1:-semente-evidence}"
endpoint="${S3_ENDPOINT:-http://127.0.0.1:7070}"
aws --endpoint-url "$endpoint" s3api head-bucket --bucket "$bucket" 2>/dev/null ||
  aws --endpoint-url "$endpoint" s3api create-bucket --bucket "$bucket" --object-lock-enabled-for-bucket
aws --endpoint-url "$endpoint" s3api put-object-lock-configuration --bucket "$bucket" \
  --object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":400}}}'
aws --endpoint-url "$endpoint" s3api get-object-lock-configuration --bucket "$bucket"
