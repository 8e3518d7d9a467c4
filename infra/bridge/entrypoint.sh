#!/bin/sh
# amqp-mesh bridge entrypoint: the trigger bridge configured only through the environment, as
# ECS Fargate and Azure Container Apps configure a container (no command line of its own). It
# checks the settings, turns secret files into variables, and runs the bridge, passing SIGTERM
# on (it lets the invocations under way finish and settle, and releases the rest).
# Errors name the variable, never a value; exit 78 before anything starts.
#
#   MESH_BRIDGE_CHANNEL          the channel to consume (required)
#   MESH_BRIDGE_LAMBDA           invoke this AWS Lambda function (AWS_REGION, the task role), or
#   MESH_BRIDGE_AZURE_URL        invoke this Azure function over HTTP (AZURE_FUNCTION_KEY)
#   MESH_BRIDGE_PROJECT          the project whose registry holds the channel (default /app/project)
#   MESH_BRIDGE_STATE_DIR        a writable folder for the bridge's attempt ledger (default
#                                /tmp/amqp-mesh-bridge; on the task's own disk: it counts
#                                across restarts of the bridge process, not of the task)
#   MESH_BRIDGE_LAMBDA_ENDPOINT  another Lambda API endpoint (a local stand-in)
#   MESH_BRIDGE_BATCH_SIZE, MESH_BRIDGE_MAX_WAIT_MS, MESH_BRIDGE_CONCURRENCY,
#   MESH_BRIDGE_MAX_ATTEMPTS, MESH_BRIDGE_RETRY_DELAY_MS   whole numbers (the bridge's defaults)
#   MESH_URLS, MESH_SASL_USERNAME, MESH_SASL_PASSWORD, MESH_TLS_CA, …  the edge routers and the
#                                login, read by the bridge itself (as the ingress reads them)
# A secret may come as a mounted file instead (Key Vault secrets on Container Apps):
# NAME_FILE for MESH_SASL_PASSWORD, AZURE_FUNCTION_KEY, MESH_TLS_CA, MESH_TLS_CERT, MESH_TLS_KEY.
# A password, function key or CA that is still the stack's placeholder ("unset: …") stops it.
set -eu

fail() {
  echo "amqp-mesh-bridge: $*" >&2
  exit 78
}

value_of() {
  eval "printf '%s' \"\${$1-}\""
}

for name in MESH_SASL_PASSWORD AZURE_FUNCTION_KEY MESH_TLS_CA MESH_TLS_CERT MESH_TLS_KEY; do
  file=$(value_of "${name}_FILE")
  [ -n "$file" ] || continue
  [ -z "$(value_of "$name")" ] || fail "give $name or ${name}_FILE, not both"
  [ -r "$file" ] || fail "${name}_FILE names $file, which cannot be read"
  content=$(cat "$file")
  [ -n "$content" ] || fail "${name}_FILE ($file) is empty"
  export "$name=$content"
  unset "${name}_FILE"
done
unset content

# A Key Vault secret the stack declared and nobody filled yet (infra/azure: "unset: …"): the
# bridge must not consume what it could only fail to deliver (a wrong function key would send
# every message on towards its dead letter).
for name in MESH_SASL_PASSWORD AZURE_FUNCTION_KEY MESH_TLS_CA; do
  case "$(value_of "$name")" in
    "unset: "*) fail "$name is still the placeholder the stack declared: set its Key Vault secret (infra/README.md, Deploying, step 3), then restart the bridge" ;;
  esac
done

channel=${MESH_BRIDGE_CHANNEL:-}
[ -n "$channel" ] || fail "MESH_BRIDGE_CHANNEL is not set: which channel does the bridge consume?"
[ -n "${MESH_URLS:-}" ] || fail "MESH_URLS is not set: the edge routers to consume from (comma-separated)"

project=${MESH_BRIDGE_PROJECT:-/app/project}
[ -r "$project/topology.yaml" ] || fail "MESH_BRIDGE_PROJECT ($project) has no topology.yaml"

set --
if [ -n "${MESH_BRIDGE_LAMBDA:-}" ]; then
  [ -z "${MESH_BRIDGE_AZURE_URL:-}" ] || fail "give MESH_BRIDGE_LAMBDA or MESH_BRIDGE_AZURE_URL, not both"
  set -- --lambda "$MESH_BRIDGE_LAMBDA"
  if [ -n "${MESH_BRIDGE_LAMBDA_ENDPOINT:-}" ]; then
    set -- "$@" --lambda-endpoint "$MESH_BRIDGE_LAMBDA_ENDPOINT"
  fi
elif [ -n "${MESH_BRIDGE_AZURE_URL:-}" ]; then
  [ -n "${AZURE_FUNCTION_KEY:-}" ] || fail "AZURE_FUNCTION_KEY (or AZURE_FUNCTION_KEY_FILE) is not set: the Azure function's key"
  set -- --azure "$MESH_BRIDGE_AZURE_URL"
else
  fail "MESH_BRIDGE_LAMBDA or MESH_BRIDGE_AZURE_URL must name the function the bridge invokes"
fi

for setting in BATCH_SIZE:batch-size MAX_WAIT_MS:max-wait-ms CONCURRENCY:concurrency \
  MAX_ATTEMPTS:max-attempts RETRY_DELAY_MS:retry-delay-ms; do
  name=MESH_BRIDGE_${setting%%:*}
  value=$(value_of "$name")
  [ -n "$value" ] || continue
  case "$value" in
    *[!0-9]*) fail "$name must be a whole number, not '$value'" ;;
  esac
  set -- "$@" "--${setting#*:}" "$value"
done

# Not exec: as PID 1 node would ignore a SIGTERM that comes before its handler is set (the
# kernel drops signals PID 1 has no handler for), and the task would wait for SIGKILL. This
# shell stays PID 1 and passes SIGTERM/SIGINT on; before the bridge has started, node simply
# ends (it holds nothing yet).
node "${MESH_BRIDGE_CLI:-/app/main.mjs}" bridge "$project" --channel "$channel" \
  --out "${MESH_BRIDGE_STATE_DIR:-/tmp/amqp-mesh-bridge}" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM
trap 'kill -INT "$child" 2>/dev/null' INT
status=0
wait "$child" || status=$?
# A trapped signal ends `wait` early (status > 128): wait on until the bridge has exited.
while kill -0 "$child" 2>/dev/null; do
  status=0
  wait "$child" || status=$?
done
exit "$status"
