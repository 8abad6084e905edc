# Inputs of the entra-coralogix module. Each one mirrors a parameter of arm/azuredeploy.json
# (the same name in snake_case, the same default and the same allowed values); the only
# Terraform-only input is resource_group_name, which ARM takes from the deployment's scope.
# scripts/check_terraform.py compares names, defaults and allowed values with the template.

# --- Hosting ---------------------------------------------------------------------------------

variable "resource_group_name" {
  description = "Existing resource group for every resource this module creates (the ARM template is deployed into one). The Event Hubs namespace may live elsewhere, see existing_event_hub_namespace_id."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.resource_group_name) > 0
    error_message = "resource_group_name must name an existing resource group."
  }
}

variable "location" {
  description = "Region for every resource this module creates. null (default): the resource group's region. Flex Consumption is not offered in every region: check with 'az functionapp list-flexconsumption-locations'."
  type        = string
  default     = null
}

variable "function_app_name" {
  description = "Globally unique name of the function app (it becomes <name>.azurewebsites.net). Also names the plan, Application Insights and the Log Analytics workspace. null (default): entra-coralogix-<13 characters derived from the resource group id>."
  type        = string
  default     = null

  validation {
    condition     = var.function_app_name == null || try(length(var.function_app_name) >= 2 && length(var.function_app_name) <= 60, false)
    error_message = "function_app_name must be 2 to 60 characters long."
  }
}

variable "hosting_plan" {
  description = "FlexConsumption (FC1, pay per use, scales to zero) or Elastic Premium EP1-EP3 (always-ready instances, the classic plan for VNet integration). Both can use integration_subnet_id."
  type        = string
  default     = "FlexConsumption"
  nullable    = false

  validation {
    condition     = contains(["FlexConsumption", "EP1", "EP2", "EP3"], var.hosting_plan)
    error_message = "hosting_plan must be one of FlexConsumption, EP1, EP2, EP3."
  }
}

variable "flex_maximum_instance_count" {
  description = "Flex Consumption only: ceiling on instances (the platform accepts 40-1000). Event Hub scaling never goes above the hub's partition count, so the real ceiling is event_hub_partition_count."
  type        = number
  default     = 40
  nullable    = false

  validation {
    condition     = var.flex_maximum_instance_count >= 40 && var.flex_maximum_instance_count <= 1000 && floor(var.flex_maximum_instance_count) == var.flex_maximum_instance_count
    error_message = "flex_maximum_instance_count must be a whole number from 40 to 1000."
  }
}

variable "flex_instance_memory_mb" {
  description = "Flex Consumption only: memory per instance. A batch of 100 events of up to 1 MB each is held in memory (base64, ~137 MB) by both the host and the handler, so 2048 is the safe default."
  type        = number
  default     = 2048
  nullable    = false

  validation {
    condition     = contains([512, 2048, 4096], var.flex_instance_memory_mb)
    error_message = "flex_instance_memory_mb must be one of 512, 2048, 4096."
  }
}

variable "premium_maximum_elastic_worker_count" {
  description = "Elastic Premium only: the plan's burst limit. More instances than Event Hub partitions never receive events."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.premium_maximum_elastic_worker_count >= 1 && var.premium_maximum_elastic_worker_count <= 100 && floor(var.premium_maximum_elastic_worker_count) == var.premium_maximum_elastic_worker_count
    error_message = "premium_maximum_elastic_worker_count must be a whole number from 1 to 100."
  }
}

variable "integration_subnet_id" {
  description = "Optional resource id of a subnet for outbound VNet integration. Flex Consumption needs a subnet delegated to Microsoft.App/environments; Elastic Premium needs one delegated to Microsoft.Web/serverFarms. Empty: no VNet integration."
  type        = string
  default     = ""
  nullable    = false
}

variable "storage_account_sku" {
  description = "Replication of the app's storage account, which holds Event Hub checkpoints, the deployment package (Flex) and dead-lettered batches (the only copy of data Coralogix refused). Use Standard_LRS only in a region without availability zones."
  type        = string
  default     = "Standard_ZRS"
  nullable    = false

  validation {
    condition     = contains(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS"], var.storage_account_sku)
    error_message = "storage_account_sku must be one of Standard_LRS, Standard_ZRS, Standard_GRS, Standard_GZRS."
  }
}

variable "log_analytics_retention_days" {
  description = "Retention of the Log Analytics workspace behind Application Insights (handler logs, invocation traces, Key Vault audit events)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.log_analytics_retention_days >= 30 && var.log_analytics_retention_days <= 730 && floor(var.log_analytics_retention_days) == var.log_analytics_retention_days
    error_message = "log_analytics_retention_days must be a whole number from 30 to 730."
  }
}

variable "key_vault_name_salt" {
  description = "Optional; changes the Key Vault's name. Empty (default): kv-entracx-<13 characters derived from the resource group id and the app name>, the same name every time the module is applied to a resource group of the same name and subscription. The vault has purge protection, so a deleted vault keeps its name for 90 days: after deleting the resource group, either recover the vault (az keyvault recover) before applying again, or pass any new salt to get a new vault. Keep the salt for every later apply."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.key_vault_name_salt) <= 64
    error_message = "key_vault_name_salt must be at most 64 characters long."
  }
}

# --- Event Hub -------------------------------------------------------------------------------

variable "event_hub_namespace_mode" {
  description = "new: create a Standard Event Hubs namespace and hub in this resource group. existing: use the hub event_hub_name in the namespace given by existing_event_hub_namespace_id (any resource group of the tenant; another subscription through the azurerm.eventhub provider)."
  type        = string
  default     = "new"
  nullable    = false

  validation {
    condition     = contains(["new", "existing"], var.event_hub_namespace_mode)
    error_message = "event_hub_namespace_mode must be new or existing."
  }
}

variable "event_hub_namespace_name" {
  description = "Name of the namespace to create (event_hub_namespace_mode new only; globally unique). null (default): entra-logs-<13 characters derived from the resource group id>."
  type        = string
  default     = null

  validation {
    condition     = var.event_hub_namespace_name == null || try(length(var.event_hub_namespace_name) >= 6 && length(var.event_hub_namespace_name) <= 50, false)
    error_message = "event_hub_namespace_name must be 6 to 50 characters long."
  }
}

variable "existing_event_hub_namespace_id" {
  description = "event_hub_namespace_mode existing only: resource id of the namespace, /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.EventHub/namespaces/<name>. The applying identity needs rights to create a consumer group and a role assignment there. In another subscription, pass an azurerm provider for that subscription as azurerm.eventhub."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.event_hub_namespace_mode != "existing" || can(regex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.EventHub/namespaces/[^/]+$", var.existing_event_hub_namespace_id))
    error_message = "event_hub_namespace_mode is existing: existing_event_hub_namespace_id must be /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.EventHub/namespaces/<name>."
  }
}

variable "event_hub_name" {
  description = "The hub the Entra diagnostic setting writes to (created when the namespace is new; must exist otherwise)."
  type        = string
  default     = "entra-logs"
  nullable    = false

  validation {
    condition     = length(var.event_hub_name) >= 1 && length(var.event_hub_name) <= 256
    error_message = "event_hub_name must be 1 to 256 characters long."
  }
}

variable "event_hub_partition_count" {
  description = "New hub only. Partitions bound parallelism: at most one instance per partition, one batch at a time per partition. Cannot be changed later on Standard. 4 suits most tenants; 8 for 100k+ users with NonInteractiveUserSignInLogs enabled."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.event_hub_partition_count >= 1 && var.event_hub_partition_count <= 32 && floor(var.event_hub_partition_count) == var.event_hub_partition_count
    error_message = "event_hub_partition_count must be a whole number from 1 to 32."
  }
}

variable "event_hub_retention_days" {
  description = "New hub only. How long events wait for the shipper: the length of a Coralogix or function outage that loses nothing. 7 is the Standard tier's maximum."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.event_hub_retention_days >= 1 && var.event_hub_retention_days <= 7 && floor(var.event_hub_retention_days) == var.event_hub_retention_days
    error_message = "event_hub_retention_days must be a whole number from 1 to 7."
  }
}

variable "event_hub_maximum_throughput_units" {
  description = "New namespace only. Auto-inflate ceiling; the namespace starts at 1 throughput unit (1 MB/s or 1000 events/s in, 2 MB/s out) and grows under load."
  type        = number
  default     = 4
  nullable    = false

  validation {
    condition     = var.event_hub_maximum_throughput_units >= 1 && var.event_hub_maximum_throughput_units <= 40 && floor(var.event_hub_maximum_throughput_units) == var.event_hub_maximum_throughput_units
    error_message = "event_hub_maximum_throughput_units must be a whole number from 1 to 40."
  }
}

variable "create_diagnostic_setting_rule" {
  description = "Create a namespace-level authorization rule (Listen, Send, Manage) used only by the Entra diagnostic setting; Azure Monitor documents those rights for streaming. Its id is the output diagnostic_setting_authorization_rule_id, for modules/entra-diagnostic-setting. The function app never receives it."
  type        = bool
  default     = true
  nullable    = false
}

variable "diagnostic_setting_rule_name" {
  description = "Name of that authorization rule."
  type        = string
  default     = "entra-diagnostic-setting"
  nullable    = false
}

variable "consumer_group_name" {
  description = "Consumer group created for the shipper, so its checkpoints never collide with another reader of the hub."
  type        = string
  default     = "entra-coralogix"
  nullable    = false

  validation {
    condition     = length(var.consumer_group_name) >= 1 && length(var.consumer_group_name) <= 50
    error_message = "consumer_group_name must be 1 to 50 characters long."
  }
}

variable "event_hub_authentication" {
  description = "ManagedIdentity: the app's identity gets Azure Event Hubs Data Receiver on the hub (no secret). ListenConnectionString (fallback): a Listen-only rule on the hub; its connection string goes into Key Vault and the app reads it through a Key Vault reference."
  type        = string
  default     = "ManagedIdentity"
  nullable    = false

  validation {
    condition     = contains(["ManagedIdentity", "ListenConnectionString"], var.event_hub_authentication)
    error_message = "event_hub_authentication must be ManagedIdentity or ListenConnectionString."
  }
}

# --- Package ---------------------------------------------------------------------------------

variable "package_url" {
  description = "Where the code comes from (the released zip: host.json, EventHubTrigger/function.json, entra-coralogix). Flex Consumption: an HTTPS URL that the module's onedeploy action reads once, at apply time; prefer a blob URL with a short-lived user delegation SAS. Empty: no code is deployed now; push it with the package_upload_command output. Elastic Premium: the plain blob URL (no SAS) the app runs from, read with its managed identity on every start, restart and scale-out, so it must stay readable: either a blob in the app-package container of the app's own storage account (empty means https://<storage account>.blob.<suffix>/app-package/entra-coralogix.zip, uploaded after the first apply), or a blob in the account given by package_storage_account_id. See arm/README.md, How the package gets to the app."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.hosting_plan == "FlexConsumption" || var.package_url == "" || !strcontains(var.package_url, "?")
    error_message = "On Elastic Premium the app reads package_url with its managed identity on every start and scale-out: give the plain blob URL, without a SAS or any other query string."
  }

  validation {
    condition     = var.hosting_plan == "FlexConsumption" || var.package_url == "" || (length(split("/", var.package_url)) >= 5 && endswith(lower(var.package_url), ".zip"))
    error_message = "On Elastic Premium package_url must be a blob URL of the form https://<account>.blob.<suffix>/<container>/<name>.zip."
  }
}

variable "package_storage_account_id" {
  description = "Elastic Premium only (ignored on Flex Consumption): resource id of an existing storage account, in any resource group or subscription of the tenant, that holds the blob package_url names, /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>. The module grants the app's identity Storage Blob Data Reader on that blob's container (the applying identity needs the right to create role assignments there). Empty: the package lives in the app's own storage account."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.package_storage_account_id == "" || can(regex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.Storage/storageAccounts/[^/]+$", var.package_storage_account_id))
    error_message = "package_storage_account_id must be /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>."
  }

  validation {
    condition     = var.hosting_plan == "FlexConsumption" || var.package_storage_account_id == "" || var.package_url != ""
    error_message = "package_storage_account_id is set but package_url is empty: give the URL of the package blob in that account, https://<account>.blob.<suffix>/<container>/<name>.zip."
  }
}

# --- The Coralogix key -----------------------------------------------------------------------

variable "coralogix_private_key_mode" {
  description = "Whether this apply writes the Coralogix key. write (default): store coralogix_private_key as the vault secret coralogix-private-key (sent write-only, never kept in state; written again whenever the key changes); an empty key stops the plan with a message, so an apply never blanks the secret. keep: leave the secret an earlier apply wrote as it is (coralogix_private_key must be empty). external: the key lives in another vault, named by coralogix_private_key_secret_uri."
  type        = string
  default     = "write"
  nullable    = false

  validation {
    condition     = contains(["write", "keep", "external"], var.coralogix_private_key_mode)
    error_message = "coralogix_private_key_mode must be write, keep or external."
  }
}

variable "coralogix_private_key" {
  description = "The Coralogix Send-Your-Data API key, read only with coralogix_private_key_mode = write and stored only as a Key Vault secret (a write-only argument: it is not kept in state). Pass it at apply time (TF_VAR_coralogix_private_key, never in a committed file); leave it empty in the other modes."
  type        = string
  default     = ""
  sensitive   = true
  nullable    = false

  validation {
    condition     = var.coralogix_private_key_mode != "write" || length(var.coralogix_private_key) > 0
    error_message = "coralogix_private_key_mode is write (the default) but coralogix_private_key is empty, and writing it would blank the secret. Pass the key, or coralogix_private_key_mode = \"keep\" to leave the secret an earlier apply wrote as it is."
  }

  validation {
    condition     = var.coralogix_private_key_mode == "write" || length(var.coralogix_private_key) == 0
    error_message = "coralogix_private_key is given but coralogix_private_key_mode is not write, so the key would be ignored: pass coralogix_private_key_mode = \"write\" to store it in the vault, or leave the key empty."
  }
}

variable "coralogix_private_key_secret_uri" {
  description = "coralogix_private_key_mode = external only: URI of an existing Key Vault secret holding the key (https://<vault>.vault.azure.net/secrets/<name>, no version, so rotations are followed). Grant the app's identity (output function_app_principal_id) Key Vault Secrets User on it."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.coralogix_private_key_mode != "external" || length(var.coralogix_private_key_secret_uri) > 0
    error_message = "coralogix_private_key_mode is external but coralogix_private_key_secret_uri is empty: give the URI of the secret that holds the Coralogix key."
  }

  validation {
    condition     = var.coralogix_private_key_mode == "external" || length(var.coralogix_private_key_secret_uri) == 0
    error_message = "coralogix_private_key_secret_uri is read only with coralogix_private_key_mode = \"external\": pass that mode, or leave the URI empty to use the secret in this module's vault."
  }
}

# --- Coralogix and the handler: one variable per app setting the binary reads ----------------
# Empty means "not set": the binary then uses its own default. Adding a setting is one
# variable here plus one line in local.handler_app_settings (app_settings.tf).

variable "coralogix_region" {
  description = "CORALOGIX_REGION: the Coralogix region of your team; the handler sends to https://ingress.<region domain>/logs/v1/singles."
  type        = string
  default     = "EU1"
  nullable    = false

  validation {
    condition     = contains(["EU1", "EU2", "US1", "US2", "US3", "AP1", "AP2", "AP3", "GOV1"], var.coralogix_region)
    error_message = "coralogix_region must be one of EU1, EU2, US1, US2, US3, AP1, AP2, AP3, GOV1."
  }
}

variable "coralogix_domain" {
  description = "CORALOGIX_DOMAIN, optional: a bare Coralogix domain (e.g. eu1.coralogix.com); overrides coralogix_region."
  type        = string
  default     = ""
  nullable    = false
}

variable "otel_exporter_otlp_endpoint" {
  description = "OTEL_EXPORTER_OTLP_ENDPOINT, leave empty: the Coralogix Event Hub function's OTLP endpoint (e.g. ingress.eu1.coralogix.com:443), which the handler reads only when CORALOGIX_REGION, CORALOGIX_DOMAIN and CORALOGIX_ENDPOINT are all empty (entries then go to /logs/v1/singles on that host). This module always sets coralogix_region, which wins."
  type        = string
  default     = ""
  nullable    = false
}

variable "extra_ca_certs" {
  description = "EXTRA_CA_CERTS, optional: PEM certificates to trust besides the system's (a TLS-inspecting proxy, a private endpoint's CA), as PEM text or the path of a PEM file on the app's file system."
  type        = string
  default     = ""
  nullable    = false
}

variable "coralogix_endpoint" {
  description = "CORALOGIX_ENDPOINT, optional: a full https:// base URL (e.g. a PrivateLink or proxy host); overrides coralogix_domain and coralogix_region."
  type        = string
  default     = ""
  nullable    = false
}

variable "coralogix_application" {
  description = "CORALOGIX_APPLICATION: application name on every entry."
  type        = string
  default     = "entra-id"
  nullable    = false
}

variable "coralogix_subsystem" {
  description = "CORALOGIX_SUBSYSTEM, optional: one subsystem name for every entry. Empty: the record's category (SignInLogs, AuditLogs, ...)."
  type        = string
  default     = ""
  nullable    = false
}

variable "coralogix_subsystem_map" {
  description = "CORALOGIX_SUBSYSTEM_MAP, optional: Category=name pairs, e.g. SignInLogs=signins,AuditLogs=audit."
  type        = string
  default     = ""
  nullable    = false
}

variable "drop_categories" {
  description = "DROP_CATEGORIES, optional: comma-separated categories dropped entirely (counted, never silent)."
  type        = string
  default     = ""
  nullable    = false
}

variable "drop_successful_categories" {
  description = "DROP_SUCCESSFUL_CATEGORIES, optional: categories whose successful records are dropped, e.g. NonInteractiveUserSignInLogs to keep only failures of the noisiest category."
  type        = string
  default     = ""
  nullable    = false
}

variable "coralogix_application_selector" {
  description = "CORALOGIX_APPLICATION_SELECTOR, optional: the application name per record, in the incumbent Coralogix Event Hub function's syntax: a template such as {{ $.properties.appDisplayName || $.category }} (paths, || fallbacks, | r'regex' extraction), a /regex/ on the record's text, or a fixed name. A record it gives nothing for gets CORALOGIX_APPLICATION (counted). Empty: CORALOGIX_APPLICATION."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.coralogix_application_selector) <= 1024
    error_message = "coralogix_application_selector is at most 1024 characters."
  }
}

variable "coralogix_subsystem_selector" {
  description = "CORALOGIX_SUBSYSTEM_SELECTOR, optional: the subsystem name per record, same syntax as the application selector, e.g. {{ $.category }}. A record it gives nothing for gets the default subsystem (counted). Empty: CORALOGIX_SUBSYSTEM, CORALOGIX_SUBSYSTEM_MAP or the category."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.coralogix_subsystem_selector) <= 1024
    error_message = "coralogix_subsystem_selector is at most 1024 characters."
  }
}

variable "blocking_pattern" {
  description = "BLOCKING_PATTERN, optional: a regex (Rust regex syntax, linear time) tested on each record's compact JSON text; matching records are dropped and counted. Empty: nothing blocked."
  type        = string
  default     = ""
  nullable    = false
}

variable "filter_rules" {
  description = "FILTER_RULES, optional: ;-separated rules read in order, the first that matches decides: drop|keep|sample N% followed by conditions field=a,b or field!=a,b (fields: category, result, a properties name such as appId, or a path such as properties.status.errorCode). E.g. drop category=NonInteractiveUserSignInLogs result=success appId=a,b; sample 10% category=ServicePrincipalSignInLogs result=success. Drops are counted per rule."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.filter_rules == "" || can(regex("^\\s*(drop|keep|sample)\\b", lower(var.filter_rules)))
    error_message = "filter_rules must start with a rule: drop, keep or sample N%."
  }
}

variable "include_metadata" {
  description = "INCLUDE_METADATA, optional: true adds the Event Hub metadata (namespace, hub, consumer group, partition, sequence number, offset, enqueued time) and the ingestion lag to each JSON record's text under the key _forwarder. Empty: false."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = contains(["", "true", "false"], var.include_metadata)
    error_message = "include_metadata must be empty, true or false."
  }
}

variable "mask_fields" {
  description = "MASK_FIELDS, optional: fields to mask wherever their path ends so, comma-separated dotted paths, e.g. properties.userPrincipalName,callerIpAddress,identity,targetResources[].userPrincipalName."
  type        = string
  default     = ""
  nullable    = false
}

variable "mask_values" {
  description = "MASK_VALUES, optional: values to mask in every string, comma-separated: ip (IPv4 and IPv6 addresses), email (e-mail addresses and UPNs), or all."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = alltrue([for v in split(",", var.mask_values) : contains(["", "ip", "email", "upn", "all"], lower(trimspace(v)))])
    error_message = "mask_values is a comma-separated list of ip, email (or upn) and all."
  }
}

variable "mask_mode" {
  description = "MASK_MODE, optional: replace (a fixed [masked] marker) or pseudonymize (a keyed hash, pii:<16 hex>, the same for the same value). Empty: pseudonymize when pseudonymize_key_mode is not none, else replace."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = contains(["", "replace", "pseudonymize"], var.mask_mode)
    error_message = "mask_mode must be empty, replace or pseudonymize."
  }
}

variable "pseudonymize_key_mode" {
  description = "How PSEUDONYMIZE_KEY is filled. none (default): no key, no pseudonyms. write: store pseudonymize_key as the vault secret pseudonymize-key (sent write-only, never kept in state) and point PSEUDONYMIZE_KEY at it. keep: point PSEUDONYMIZE_KEY at the secret an earlier apply wrote (pseudonymize_key must be empty). Changing the key changes every pseudonym."
  type        = string
  default     = "none"
  nullable    = false

  validation {
    condition     = contains(["none", "write", "keep"], var.pseudonymize_key_mode)
    error_message = "pseudonymize_key_mode must be none, write or keep."
  }
}

variable "pseudonymize_key" {
  description = "The secret key of the pseudonyms (HMAC-SHA256), at least 32 characters (e.g. openssl rand -base64 48); read only with pseudonymize_key_mode = write and stored only as a Key Vault secret. Pass it at apply time (TF_VAR_pseudonymize_key, never in a committed file)."
  type        = string
  default     = ""
  sensitive   = true
  nullable    = false

  validation {
    condition     = var.pseudonymize_key_mode != "write" || length(var.pseudonymize_key) >= 32
    error_message = "pseudonymize_key_mode is write but pseudonymize_key is shorter than 32 characters (or empty, which would blank the secret). Pass a key of at least 32 characters, or pseudonymize_key_mode = \"keep\" to use the secret an earlier apply wrote."
  }

  validation {
    condition     = var.pseudonymize_key_mode == "write" || length(var.pseudonymize_key) == 0
    error_message = "pseudonymize_key is given but pseudonymize_key_mode is not write, so the key would be ignored: pass pseudonymize_key_mode = \"write\" to store it in the vault, or leave the key empty."
  }
}

variable "self_monitoring_subsystem" {
  description = "SELF_MONITORING_SUBSYSTEM, optional: also ship each invocation summary (records, delivered, dropped, dead-lettered, retries, bytes, lag) as one JSON entry of this subsystem, e.g. entra-shipper-health. Empty: off."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.self_monitoring_subsystem) <= 100
    error_message = "self_monitoring_subsystem is at most 100 characters long."
  }
}

variable "compression" {
  description = "COMPRESSION of requests to Coralogix: gzip (Content-Encoding: gzip, about five times fewer bytes of egress; if Coralogix answers 415 the handler falls back to uncompressed once and logs it) or none."
  type        = string
  default     = "gzip"
  nullable    = false

  validation {
    condition     = contains(["none", "gzip"], var.compression)
    error_message = "compression must be none or gzip."
  }
}

variable "delivery_timeout_seconds" {
  description = "DELIVERY_TIMEOUT_SECONDS, optional: how long one invocation keeps retrying Coralogix before failing the batch (the function's retry policy then re-delivers it). Empty: 180."
  type        = string
  default     = ""
  nullable    = false
}

variable "request_timeout_seconds" {
  description = "REQUEST_TIMEOUT_SECONDS, optional: per HTTP request to Coralogix. Empty: 30."
  type        = string
  default     = ""
  nullable    = false
}

variable "retry_min_delay_ms" {
  description = "RETRY_MIN_DELAY_MS, optional: first back-off between attempts. Empty: 500."
  type        = string
  default     = ""
  nullable    = false
}

variable "retry_max_delay_ms" {
  description = "RETRY_MAX_DELAY_MS, optional: longest back-off. Empty: 30000."
  type        = string
  default     = ""
  nullable    = false
}

variable "max_request_bytes" {
  description = "MAX_REQUEST_BYTES, optional: cap on one request body; cannot exceed Coralogix's documented 2 MB. Empty: that limit."
  type        = string
  default     = ""
  nullable    = false
}

variable "max_concurrent_requests" {
  description = "MAX_CONCURRENT_REQUESTS, optional: parallel requests per invocation, 1-64. Empty: 4."
  type        = string
  default     = ""
  nullable    = false
}

variable "max_entry_bytes" {
  description = "MAX_ENTRY_BYTES, optional: larger records are sent in parts that put back together byte for byte. Empty: 262144."
  type        = string
  default     = ""
  nullable    = false
}

variable "max_body_bytes" {
  description = "MAX_BODY_BYTES, optional: largest invocation request accepted from the Functions host. Empty: 268435456."
  type        = string
  default     = ""
  nullable    = false
}

variable "dead_letter_enabled" {
  description = "DEAD_LETTER_ENABLED. true (module default): a batch Coralogix refuses for good (4xx other than throttling) is written gzipped to the entra-dead-letter container instead of being retried forever or lost; replay it later with 'entra-coralogix replay'. The binary defaults to false only because it cannot assume a storage binding exists; this module always creates one."
  type        = bool
  default     = true
  nullable    = false
}

variable "memory_budget_mb" {
  description = "MEMORY_BUDGET_MB, optional: the memory all invocations of an instance may reserve for request bodies and their work (64 to 1048576); an invocation that would go over it waits. Empty: 60% of the instance's memory limit, leaving at least 300 MiB for the Functions host."
  type        = string
  default     = ""
  nullable    = false
}

variable "restamp_old_records" {
  description = "RESTAMP_OLD_RECORDS, optional: entries more than 23 hours old are sent with the time of processing (the record keeps its own time in its text), because Coralogix is reported to refuse older logs; false sends every entry with its own time. Empty: true."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = contains(["", "true", "false"], var.restamp_old_records)
    error_message = "restamp_old_records must be empty, true or false."
  }
}

variable "shutdown_grace_seconds" {
  description = "SHUTDOWN_GRACE_SECONDS, optional: on shutdown, how long invocations in flight may go on before they stop and answer failure (their batches come again). Empty: 5."
  type        = string
  default     = ""
  nullable    = false
}

variable "log_level" {
  description = "LOG_LEVEL, optional: the handler's log filter (error, warn, info, debug, trace, off; the host.json names Information, Warning, Critical, None; or tracing directives). Empty: info."
  type        = string
  default     = ""
  nullable    = false

  # The ARM template takes any string here (a parameter cannot carry a pattern); the binary
  # refuses a value it cannot read at start. Checking here too catches a typo at plan time.
  validation {
    condition     = var.log_level == "" || can(regex("^(information|warning|critical|none|(([A-Za-z0-9_:.-]+=)?(off|error|warn|info|debug|trace)(,([A-Za-z0-9_:.-]+=)?(off|error|warn|info|debug|trace))*))$", lower(var.log_level)))
    error_message = "log_level must be empty, a level (off, error, warn, info, debug, trace, or Information, Warning, Critical, None) or a comma-separated list of level and target=level directives, e.g. info,entra_coralogix=debug."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
