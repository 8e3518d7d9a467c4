#!/bin/sh
# amqp-mesh router entrypoint: writes the router's config, certificates, keys and SASL files
# from environment variables (Fargate passes Secrets Manager values only as variables) or from
# mounted secret files (Azure Key Vault secrets on Container Apps), checks them, and execs the
# router. It never prints a secret: errors name the variable or the file, never the content.
#
#   MESH_ROUTER_CONFIG       the router config text (or MESH_ROUTER_CONFIG_FILE: a file holding it)
#   MESH_ROUTER_CONFIG_TYPE  json (default) or conf
#   MESH_RUN_DIR             where everything is written (default /tmp/amqp-mesh); made 0700
#   MESH_FILES               "VARIABLE=/path ..." — each file's content is in $VARIABLE or in the
#                            file named by $VARIABLE_FILE; a VARIABLE ending in _B64 is base64.
#                            Every path lies under MESH_RUN_DIR; a .pem must hold a PEM block.
#   MESH_SECRET_VARIABLES    names the config reads as env:NAME (each set, or NAME_FILE)
#   MESH_ROUTER_COMMAND      the router (default skrouterd, else qdrouterd); extra arguments
#                            of this script are passed to it after --config <file>
set -eu
umask 077

fail() {
  echo "amqp-mesh-entrypoint: $*" >&2
  exit 78
}

valid_name() {
  case "$1" in
    "" | [0-9]* | *[!A-Za-z0-9_]*) return 1 ;;
    *) return 0 ;;
  esac
}

# value_of NAME: the variable's value, empty when unset (NAME is checked first).
value_of() {
  eval "printf '%s' \"\${$1-}\""
}

run_dir=${MESH_RUN_DIR:-/tmp/amqp-mesh}
case "$run_dir" in
  /*) ;;
  *) fail "MESH_RUN_DIR must be an absolute path" ;;
esac
case "$run_dir" in
  *..*) fail "MESH_RUN_DIR must not contain '..'" ;;
esac
mkdir -p "$run_dir" || fail "cannot create MESH_RUN_DIR $run_dir"
chmod 700 "$run_dir"

config_type=${MESH_ROUTER_CONFIG_TYPE:-json}
case "$config_type" in
  json | conf) ;;
  *) fail "MESH_ROUTER_CONFIG_TYPE must be json or conf, not '$config_type'" ;;
esac
config_file="$run_dir/router.$config_type"
if [ -n "${MESH_ROUTER_CONFIG:-}" ]; then
  printf '%s\n' "$MESH_ROUTER_CONFIG" >"$config_file"
elif [ -n "${MESH_ROUTER_CONFIG_FILE:-}" ]; then
  [ -r "$MESH_ROUTER_CONFIG_FILE" ] || fail "MESH_ROUTER_CONFIG_FILE $MESH_ROUTER_CONFIG_FILE cannot be read"
  cp "$MESH_ROUTER_CONFIG_FILE" "$config_file"
else
  fail "MESH_ROUTER_CONFIG (or MESH_ROUTER_CONFIG_FILE) is not set: the router has no config"
fi
# The generated files start with '#' comment lines, which the routers' readers skip.
first=$(grep -v '^[[:space:]]*#' "$config_file" | tr -d ' \t\r\n' | cut -c1)
if [ "$config_type" = json ] && [ "$first" != "[" ]; then
  fail "the router config is not a JSON list of entities (MESH_ROUTER_CONFIG_TYPE=json)"
fi
[ -n "$first" ] || fail "the router config is empty"
chmod 600 "$config_file"

for entry in ${MESH_FILES:-}; do
  name=${entry%%=*}
  path=${entry#*=}
  valid_name "$name" || fail "MESH_FILES entry '$entry' must be VARIABLE=/path"
  [ "$path" != "$entry" ] || fail "MESH_FILES entry '$entry' must be VARIABLE=/path"
  case "$path" in
    *..*) fail "$name: the path $path must not contain '..'" ;;
    */) fail "$name: the path $path names a folder, not a file" ;;
    "$run_dir"/*) ;;
    *) fail "$name: the path $path is outside MESH_RUN_DIR ($run_dir)" ;;
  esac
  folder=$(dirname "$path")
  { mkdir -p "$folder" && chmod 700 "$folder"; } 2>/dev/null || fail "$name: cannot make the folder of $path"
  [ ! -d "$path" ] || fail "$name: the path $path is a folder, not a file"
  value=$(value_of "$name")
  source_file=$(value_of "${name}_FILE")
  rm -f "$path" 2>/dev/null || fail "$name: cannot replace $path"
  if [ -n "$value" ]; then
    case "$name" in
      *_B64) printf '%s' "$value" | base64 -d >"$path" 2>/dev/null || fail "$name is not valid base64" ;;
      *) printf '%s\n' "$value" 2>/dev/null >"$path" || fail "$name: cannot write $path" ;;
    esac
  elif [ -n "$source_file" ]; then
    [ -r "$source_file" ] || fail "${name}_FILE names $source_file, which cannot be read"
    case "$name" in
      *_B64) base64 -d <"$source_file" >"$path" 2>/dev/null || fail "${name}_FILE ($source_file) is not valid base64" ;;
      *) cp "$source_file" "$path" 2>/dev/null || fail "$name: cannot write $path" ;;
    esac
  else
    fail "$name (or ${name}_FILE) is not set: $path cannot be written"
  fi
  chmod 600 "$path"
  [ -s "$path" ] || fail "$name is empty: $path would be empty"
  case "$path" in
    *.pem)
      grep -q -- '-----BEGIN ' "$path" && grep -q -- '-----END ' "$path" ||
        fail "$name is not PEM (no BEGIN/END lines) for $path"
      ;;
  esac
  # The router reads the file; its content need not stay in the environment it inherits.
  unset "$name"
done

for name in ${MESH_SECRET_VARIABLES:-}; do
  valid_name "$name" || fail "MESH_SECRET_VARIABLES holds '$name', which is not a variable name"
  if [ -z "$(value_of "$name")" ]; then
    source_file=$(value_of "${name}_FILE")
    [ -n "$source_file" ] || fail "$name (or ${name}_FILE) is not set: the router config reads env:$name"
    [ -r "$source_file" ] || fail "${name}_FILE names $source_file, which cannot be read"
    value=$(cat "$source_file")
    [ -n "$value" ] || fail "${name}_FILE ($source_file) is empty"
    export "$name=$value"
  fi
done
unset value

router=${MESH_ROUTER_COMMAND:-}
if [ -z "$router" ]; then
  if command -v skrouterd >/dev/null 2>&1; then router=skrouterd; else router=qdrouterd; fi
fi
export QDROUTERD_CONF="$config_file" QDROUTERD_CONF_TYPE="$config_type"
exec "$router" --config "$config_file" "$@"
