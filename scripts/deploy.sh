#!/usr/bin/env bash
# Deploys entra-coralogix to Azure in one command: the resource group (if it does not exist),
# the package (built, downloaded or given), the ARM template arm/azuredeploy.json, the code,
# and a check that the app runs. Every az command is echoed before it runs ("+ az ...").
# Running it again is safe: it deploys with the parameters of the earlier deployment of the
# same name (except what is set again), keeps the Coralogix key, and pushes the package again.
#
# Needs: bash (3.2 or later), Azure CLI 2.60+ logged in (az login) with Owner, or Contributor plus User
# Access Administrator, on the resource group (the template creates role assignments);
# python3; for building, what scripts/package.sh needs (cargo-zigbuild and ziglang).
#
# Usage: scripts/deploy.sh [options]; scripts/deploy.sh --help for the options.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: scripts/deploy.sh [options]

  -g, --resource-group NAME   resource group, created if missing (default rg-entra-coralogix)
  -l, --location REGION       region for a new resource group (default westeurope); the
                              template deploys into the group's region
  -n, --name NAME             the deployment's name (default entra-coralogix; the READMEs'
                              commands read the outputs of this name)
      --plan PLAN             FlexConsumption, EP1, EP2 or EP3 (default: the earlier
                              deployment's plan, else FlexConsumption)
      --region REGION         Coralogix region: EU1, EU2, US1, US2, US3, AP1, AP2, AP3, GOV1
                              (default: the earlier deployment's, else EU1)
      --zip FILE              deploy this package instead of building one
      --download URL          download the package (for example a release asset) instead of
                              building one
      --key-mode MODE         write, keep or external (default: keep when an earlier deployment
                              of this name succeeded, else write). write reads the Send-Your-Data
                              key without echo (or from $CORALOGIX_PRIVATE_KEY)
      --key-secret-uri URI    with --key-mode external: https://<vault>.vault.azure.net/secrets/<name>
      --key-vault-salt SALT   keyVaultNameSalt (default: the earlier deployment's); only to
                              redeploy into a recreated resource group, see arm/README.md
      --parameters-file FILE  a parameters file (e.g. arm/azuredeploy.parameters.json); the
                              options above win over it
  -p, --parameter NAME=VALUE  any other template parameter; repeatable
                              (e.g. -p functionAppName=my-entra-shipper -p eventHubPartitionCount=8)
      --dry-run               print the az commands it would run and run nothing (no login
                              needed; values only Azure knows are shown as <name>)
  -h, --help                  this help

A second run deploys with the parameters of the earlier deployment of the same name, except
those set again, and keeps its key (key mode keep, or external with the same secret).
Elastic Premium is deployed with the package in the app's own storage account; for a package
in another account (packageStorageAccountId), follow arm/README.md.
EOF
}

die() { printf 'deploy.sh: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'deploy.sh: %s\n' "$*" >&2; }
step() { printf '\n=== %s\n' "$*" >&2; }

rg="rg-entra-coralogix"
location="westeurope"
name="entra-coralogix"
plan=""
cx_region=""
zip=""
download=""
key_mode=""
key_uri=""
salt=""
salt_given=0
params_file=""
extra=()
dry=0
# Set by capture (printf -v) from what az answers.
exists="" app="" app_id="" storage="" account_id="" me="" me_kind="" me_app="" has_role="" diag="" ns="" hub=""

need_value() { if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi; }
while [ $# -gt 0 ]; do
  case "$1" in
    -g|--resource-group) need_value "$@"; rg="$2"; shift 2 ;;
    -l|--location) need_value "$@"; location="$2"; shift 2 ;;
    -n|--name) need_value "$@"; name="$2"; shift 2 ;;
    --plan) need_value "$@"; plan="$2"; shift 2 ;;
    --region) need_value "$@"; cx_region="$2"; shift 2 ;;
    --zip) need_value "$@"; zip="$2"; shift 2 ;;
    --download) need_value "$@"; download="$2"; shift 2 ;;
    --key-mode) need_value "$@"; key_mode="$2"; shift 2 ;;
    --key-secret-uri) need_value "$@"; key_uri="$2"; shift 2 ;;
    --key-vault-salt) need_value "$@"; salt="$2"; salt_given=1; shift 2 ;;
    --parameters-file) need_value "$@"; params_file="$2"; shift 2 ;;
    -p|--parameter) need_value "$@"; extra+=("$2"); shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

case "$plan" in ""|FlexConsumption|EP1|EP2|EP3) ;; *) die "--plan must be FlexConsumption, EP1, EP2 or EP3, not '$plan'" ;; esac
case "$cx_region" in ""|EU1|EU2|US1|US2|US3|AP1|AP2|AP3|GOV1) ;; *) die "--region must be one of EU1 EU2 US1 US2 US3 AP1 AP2 AP3 GOV1, not '$cx_region'" ;; esac
case "$key_mode" in ""|write|keep|external) ;; *) die "--key-mode must be write, keep or external, not '$key_mode'" ;; esac
[ -z "$zip" ] || [ -z "$download" ] || die "give --zip or --download, not both"
[ -z "$key_uri" ] || [ "$key_mode" = external ] || [ -z "$key_mode" ] || die "--key-secret-uri goes with --key-mode external"
[ "$key_mode" != external ] || [ -n "$key_uri" ] || die "--key-mode external needs --key-secret-uri"
[ -z "$params_file" ] || [ -f "$params_file" ] || die "--parameters-file $params_file: no such file"
for p in ${extra[@]+"${extra[@]}"}; do
  [[ $p == *=* ]] || die "--parameter takes NAME=VALUE, not '$p'"
  case "${p%%=*}" in
    hostingPlan|coralogixRegion|coralogixPrivateKey|coralogixPrivateKeyMode|coralogixPrivateKeySecretUri|keyVaultNameSalt|packageUrl|packageStorageAccountId)
      die "set ${p%%=*} with its own option (see --help), not --parameter" ;;
  esac
done
[ -z "$zip" ] || [ -f "$zip" ] || die "--zip $zip: no such file"

# Shell-quotes a command for display, readably (single quotes only where needed).
quote() {
  local out="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+=" $a"
    else
      out+=" '${a//\'/\'\\\'\'}'"
    fi
  done
  printf '%s' "${out# }"
}
# Echoes a command, then runs it (not in a dry run).
run() {
  printf '+ %s\n' "$(quote "$@")"
  [ "$dry" = 1 ] || "$@"
}
# Echoes a command whose output the script needs, runs it and prints the output to the
# variable named by $1; in a dry run the value is <$2>.
capture() {
  local var="$1" placeholder="$2"
  shift 2
  printf '+ %s\n' "$(quote "$@")"
  if [ "$dry" = 1 ]; then
    printf -v "$var" '<%s>' "$placeholder"
  else
    local value
    value="$("$@")"
    printf -v "$var" '%s' "$value"
  fi
}
# Runs a command up to $1 times, $2 seconds apart, echoing each attempt.
retry() {
  local tries="$1" pause="$2" n=1
  shift 2
  while true; do
    if run "$@"; then return 0; fi
    [ "$n" -lt "$tries" ] || return 1
    note "attempt $n of $tries failed; new role assignments can take minutes to apply: again in ${pause}s"
    sleep "$pause"
    n=$((n + 1))
  done
}

if [ "$dry" = 1 ]; then
  note "dry run: nothing is run; values that only Azure knows are shown as <name>, and the
deploy.sh: resource group and the deployment are assumed not to exist yet"
else
  command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is missing: https://learn.microsoft.com/cli/azure/install-azure-cli"
  command -v python3 >/dev/null 2>&1 || die "python3 is missing"
  az account show --query id -o none 2>/dev/null || die "not logged in to Azure: az login (and az account set --subscription <id>)"
fi

# Temporary files: the key for az, the earlier deployment's parameters.
secret_file="" prev_file=""
cleanup() {
  if [ -n "$secret_file" ]; then rm -f "$secret_file"; fi
  if [ -n "$prev_file" ]; then rm -f "$prev_file"; fi
}
trap cleanup EXIT

step "1. What exists: the resource group $rg and its deployment '$name'"
capture exists "true or false" az group exists --name "$rg"
prev_state="" prev_mode="" prev_plan="" prev_file=""
show_prev=(az deployment group show --resource-group "$rg" --name "$name" -o json
  --query "{state: properties.provisioningState, parameters: properties.parameters}")
if [ "$dry" = 1 ]; then
  run "${show_prev[@]}"
elif [ "$exists" = true ]; then
  printf '+ %s\n' "$(quote "${show_prev[@]}")"
  if prev="$("${show_prev[@]}" 2>/dev/null)"; then  # fails when there is no such deployment
    # Its parameters go first into this deployment, so that what is not set again stays as it
    # was (app name, namespace, region, settings, tags ...). Not the secret, and not the
    # package source: deploy.sh pushes the code itself.
    prev_file="$(mktemp "${TMPDIR:-/tmp}/entra-coralogix-earlier.XXXXXX")"
    prev_fields="$(PREV="$prev" python3 - "$prev_file" <<'PY'
import json, os, sys
prev = json.loads(os.environ["PREV"])
params = {k: {"value": v["value"]} for k, v in (prev.get("parameters") or {}).items()
          if "value" in v and k not in ("coralogixPrivateKey", "packageUrl", "packageStorageAccountId")}
with open(sys.argv[1], "w") as f:
    json.dump({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
               "contentVersion": "1.0.0.0", "parameters": params}, f, indent=2)
for key in ("coralogixPrivateKeyMode", "hostingPlan"):
    print(params.get(key, {}).get("value", ""))
print(prev.get("state") or "")
PY
)"
    { read -r prev_mode; read -r prev_plan; read -r prev_state; } <<<"$prev_fields"
  fi
fi
if [ -n "$prev_state" ]; then
  note "found: state $prev_state, plan ${prev_plan:-?}, key mode ${prev_mode:-write}; its parameters are kept unless set again ($prev_file)"
else
  note "none: this is a first deployment"
fi
if [ -z "$plan" ]; then plan="${prev_plan:-FlexConsumption}"; fi
if [ -n "$prev_plan" ] && [ "$plan" != "$prev_plan" ]; then
  note "warning: the earlier deployment used $prev_plan; an app cannot move between Flex Consumption and Premium"
fi
if [ -z "$key_mode" ]; then
  if [ "$prev_state" = Succeeded ]; then
    # The earlier deployment wrote the key (write, keep) or pointed at one (external, whose
    # URI comes along with its parameters).
    if [ "$prev_mode" = external ]; then key_mode="external"; else key_mode="keep"; fi
  else
    key_mode="write"
  fi
fi
note "key mode: $key_mode"

# The key now, before anything is created or built.
key_param=""
if [ "$key_mode" = write ]; then
  if [ "$dry" = 1 ]; then
    key_param="<0600 temp file holding coralogixPrivateKey>"
    note "would read the Coralogix Send-Your-Data API key without echo (or take \$CORALOGIX_PRIVATE_KEY)"
  else
    cx_key="${CORALOGIX_PRIVATE_KEY:-}"
    if [ -z "$cx_key" ]; then
      if ! (exec </dev/tty) 2>/dev/null; then
        die "no terminal to read the key from: set CORALOGIX_PRIVATE_KEY, or --key-mode keep/external"
      fi
      read -rs -p 'Coralogix Send-Your-Data API key: ' cx_key </dev/tty
      echo >&2
    fi
    [ -n "$cx_key" ] || die "the key is empty"
    # The key goes to az in a file only this user can read, not on the command line (where
    # other users of the machine could see it in the process list); the file is removed on exit.
    secret_file="$(umask 077 && mktemp "${TMPDIR:-/tmp}/entra-coralogix-key.XXXXXX")"
    CX_KEY="$cx_key" python3 - "$secret_file" <<'PY'
import json, os, sys
with open(sys.argv[1], "w") as f:
    json.dump({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"coralogixPrivateKey": {"value": os.environ["CX_KEY"]}},
    }, f)
PY
    unset cx_key CORALOGIX_PRIVATE_KEY
    note "$secret_file holds coralogixPrivateKey (mode 0600, removed on exit)"
    key_param="$secret_file"
  fi
fi

step "2. The resource group $rg"
if [ "$exists" != true ]; then
  [ "$dry" = 0 ] || note "(only if it does not exist:)"
  run az group create --name "$rg" --location "$location" -o none
else
  note "resource group $rg exists"
fi

step "3. The package"
if [ -n "$zip" ]; then
  note "using $zip"
elif [ -n "$download" ]; then
  zip="dist/entra-coralogix.zip"
  run mkdir -p dist
  run curl -fsSL --retry 3 -o "$zip" "$download"
else
  zip="dist/entra-coralogix.zip"
  run scripts/package.sh
fi
if [ "$(uname -sm)" = "Linux x86_64" ] && command -v objdump >/dev/null 2>&1; then
  run python3 scripts/check_package.py "$zip"
else
  note "scripts/check_package.py skipped (it needs Linux x86_64 and objdump)"
fi

step "4. The template (arm/azuredeploy.json)"
# Later --parameters win: the earlier deployment's, then --parameters-file, then the options.
args=(az deployment group create --resource-group "$rg" --name "$name" --template-file arm/azuredeploy.json)
if [ -n "$prev_file" ]; then args+=(--parameters "@$prev_file"); fi
if [ -n "$params_file" ]; then args+=(--parameters "@$params_file"); fi
args+=(--parameters "hostingPlan=$plan" "coralogixPrivateKeyMode=$key_mode")
if [ -n "$cx_region" ]; then args+=("coralogixRegion=$cx_region"); fi
if [ -n "$key_uri" ]; then args+=("coralogixPrivateKeySecretUri=$key_uri"); fi
if [ "$key_mode" != external ] && [ -n "$prev_file" ]; then args+=("coralogixPrivateKeySecretUri="); fi
if [ "$salt_given" = 1 ]; then args+=("keyVaultNameSalt=$salt"); fi
args+=(${extra[@]+"${extra[@]}"})

if [ -n "$key_param" ]; then args+=(--parameters "@$key_param"); fi
args+=(-o none)
run "${args[@]}"
cleanup
secret_file="" prev_file=""

out() { capture "$1" "$2" az deployment group show --resource-group "$rg" --name "$name" --query "properties.outputs.$2.value" -o tsv; }
out app functionAppName
out app_id functionAppResourceId
out storage storageAccountName

step "5. The code"
if [ "$plan" = FlexConsumption ]; then
  # Flex: the platform writes the zip into the app's deployment container with the app's
  # identity, whose new role may take a few minutes to apply after a first deployment.
  retry 5 60 az functionapp deployment source config-zip --resource-group "$rg" --name "$app" --src "$zip"
else
  # Premium: the app runs from app-package/entra-coralogix.zip in its own storage account,
  # read with its identity. Upload it with yours (shared keys are off), then restart.
  capture me_kind "user or servicePrincipal" az account show --query user.type -o tsv
  if [ "$me_kind" = servicePrincipal ]; then
    capture me_app "your application id" az account show --query user.name -o tsv
    capture me "your object id" az ad sp show --id "$me_app" --query id -o tsv
    me_type=ServicePrincipal
  else
    capture me "your object id" az ad signed-in-user show --query id -o tsv
    me_type=User
  fi
  capture account_id "storage account id" az storage account show --resource-group "$rg" --name "$storage" --query id -o tsv
  scope="$account_id/blobServices/default/containers/app-package"
  capture has_role "number of assignments" az role assignment list --assignee "$me" --role "Storage Blob Data Contributor" --scope "$scope" --query "length(@)" -o tsv
  if [ "$dry" = 1 ] || [ "${has_role:-0}" = 0 ]; then
    run az role assignment create --assignee-object-id "$me" --assignee-principal-type "$me_type" \
      --role "Storage Blob Data Contributor" --scope "$scope" -o none
  fi
  retry 10 30 az storage blob upload --auth-mode login --account-name "$storage" --container-name app-package \
    --name entra-coralogix.zip --file "$zip" --overwrite -o none
  run az functionapp restart --resource-group "$rg" --name "$app"
  run az rest --method post --url "https://management.azure.com$app_id/syncfunctiontriggers?api-version=2024-04-01"
fi

step "6. The Entra diagnostic setting (run it yourself: it needs tenant rights)"
capture diag "diagnosticSettingCommand" az deployment group show --resource-group "$rg" --name "$name" --query properties.outputs.diagnosticSettingCommand.value -o tsv
capture ns "eventHubNamespace" az deployment group show --resource-group "$rg" --name "$name" --query properties.outputs.eventHubNamespace.value -o tsv
capture hub "eventHubName" az deployment group show --resource-group "$rg" --name "$name" --query properties.outputs.eventHubName.value -o tsv
cat >&2 <<EOF
To stream Entra ID logs to the hub, run this with the Entra role Security Administrator and
the right to deploy at tenant scope (README, Deploy step 3):

  $diag

To see data flow before that (needs the "Azure Event Hubs Data Sender" role on the hub, and
pip install azure-eventhub azure-identity):

  python3 scripts/send-test-events.py --namespace $ns.servicebus.windows.net --eventhub $hub --now

then look for application entra-id in Coralogix (README, Deploy step 4).
EOF

step "7. Is the app running?"
state="" functions="" reference=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  capture state "state" az functionapp show --resource-group "$rg" --name "$app" --query state -o tsv
  capture functions "function names" az functionapp function list --resource-group "$rg" --name "$app" --query "[].name" -o tsv
  [ "$dry" = 0 ] || break
  if [ "$state" = Running ] && [[ $functions == *EventHubTrigger* ]]; then break; fi
  [ "$attempt" -lt 10 ] || die "the app is '$state' and lists no EventHubTrigger function after 5 minutes: see Troubleshoot in arm/README.md"
  note "state '$state', functions '${functions//$'\n'/ }': looking again in 30s"
  sleep 30
done
capture reference "Key Vault reference status" az rest --method get \
  --url "https://management.azure.com$app_id/config/configreferences/appsettings/CORALOGIX_PRIVATE_KEY?api-version=2022-03-01" \
  --query properties.status -o tsv || reference=""
if [ "$dry" = 0 ]; then
  note "app $app is $state and lists EventHubTrigger"
  if [ "$reference" = Resolved ]; then
    note "CORALOGIX_PRIVATE_KEY: the Key Vault reference is resolved. Done."
  else
    note "warning: the Key Vault reference of CORALOGIX_PRIVATE_KEY is '${reference:-unreadable}', not Resolved; a new role assignment can take minutes: wait, then az functionapp restart -g $rg -n $app"
  fi
fi
