#!/bin/sh
# Entry point of the Semente image: the first argument picks the process.
#   gateway | planner | seeder | evidence   a service (its own config from the environment)
#   semente <verb> [options]                the CLI, e.g. `semente bootstrap db`
set -eu
what="${1:-}"
[ $# -gt 0 ] && shift
case "$what" in
  gateway | planner | seeder | evidence) exec bun "/app/services/${what}/src/main.ts" "$@" ;;
  semente) exec bun /app/packages/cli/src/main.ts "$@" ;;
  *)
    echo "usage: <gateway|planner|seeder|evidence> | semente <verb> [options]" >&2
    exit 2
    ;;
esac
