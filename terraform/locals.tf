# Names, modes and ids, computed the way arm/azuredeploy.json computes its variables.

data "azurerm_client_config" "current" {}

data "azurerm_resource_group" "this" {
  name = var.resource_group_name
}

locals {
  location = coalesce(var.location, data.azurerm_resource_group.this.location)
  is_flex  = var.hosting_plan == "FlexConsumption"

  # ARM's uniqueString() is not available in Terraform: 13 hex characters of a SHA-1 take its
  # place, over the same inputs. Names have the template's shape but not its exact value, so
  # an ARM deployment and this module pick different default names in the same group.
  resource_group_hash  = substr(sha1(data.azurerm_resource_group.this.id), 0, 13)
  function_app_name    = coalesce(var.function_app_name, "entra-coralogix-${local.resource_group_hash}")
  suffix               = substr(sha1("${data.azurerm_resource_group.this.id}|${local.function_app_name}"), 0, 13)
  key_vault_suffix     = var.key_vault_name_salt == "" ? local.suffix : substr(sha1("${data.azurerm_resource_group.this.id}|${local.function_app_name}|${var.key_vault_name_salt}"), 0, 13)
  plan_name            = "${local.function_app_name}-plan"
  workspace_name       = "${local.function_app_name}-logs"
  app_insights_name    = local.function_app_name
  storage_account_name = "stentracx${local.suffix}"
  key_vault_name       = "kv-entracx-${local.key_vault_suffix}"

  deployment_container_name  = "app-package"
  dead_letter_container_name = "entra-dead-letter"
  default_package_blob_name  = "entra-coralogix.zip"

  # https://<account>.blob.<suffix>/ (with the trailing slash, as ARM's blobEndpoint).
  blob_endpoint = azurerm_storage_account.this.primary_blob_endpoint
  # core.windows.net -> servicebus.windows.net, core.usgovcloudapi.net ->
  # servicebus.usgovcloudapi.net, core.chinacloudapi.cn -> servicebus.chinacloudapi.cn: the
  # mapping ARM makes from environment().name, read from the storage endpoint's cloud suffix.
  storage_suffix     = regex("^https://[^.]+\\.blob\\.(.+?)/?$", local.blob_endpoint)[0]
  service_bus_suffix = replace(local.storage_suffix, "/^core\\./", "servicebus.")

  # --- Event Hub -------------------------------------------------------------------------------
  new_namespace             = var.event_hub_namespace_mode == "new"
  existing_namespace        = local.new_namespace ? [] : split("/", var.existing_event_hub_namespace_id)
  event_hub_namespace       = local.new_namespace ? coalesce(var.event_hub_namespace_name, "entra-logs-${local.resource_group_hash}") : local.existing_namespace[8]
  event_hub_resource_group  = local.new_namespace ? var.resource_group_name : local.existing_namespace[4]
  event_hub_subscription_id = local.new_namespace ? data.azurerm_client_config.current.subscription_id : local.existing_namespace[2]
  event_hub_namespace_id    = local.new_namespace ? azurerm_eventhub_namespace.this[0].id : var.existing_event_hub_namespace_id
  event_hub_id              = "${local.event_hub_namespace_id}/eventhubs/${var.event_hub_name}"
  use_event_hub_identity    = var.event_hub_authentication == "ManagedIdentity"
  listen_rule_name          = "entra-coralogix-listen"

  # --- Key Vault -------------------------------------------------------------------------------
  key_vault_secret_base     = "${azurerm_key_vault.this.vault_uri}secrets/"
  coralogix_key_secret_name = "coralogix-private-key"
  write_coralogix_key       = var.coralogix_private_key_mode == "write"
  coralogix_key_secret_uri  = var.coralogix_private_key_mode == "external" ? var.coralogix_private_key_secret_uri : "${local.key_vault_secret_base}${local.coralogix_key_secret_name}"
  event_hub_secret_name     = "eventhub-listen-connection-string"

  # PSEUDONYMIZE_KEY (pseudonymize_key_mode write or keep).
  pseudonymize_key_secret_name = "pseudonymize-key"

  # --- Package (arm/README.md, How the package gets to the app) ------------------------------
  use_package_account        = var.package_storage_account_id != ""
  package_uses_other_account = !local.is_flex && local.use_package_account
  package_account_prefix = (
    local.use_package_account
    ? "https://${element(split("/", var.package_storage_account_id), 8)}.blob."
    : "${local.blob_endpoint}${local.deployment_container_name}/"
  )
  default_package_url = "${local.blob_endpoint}${local.deployment_container_name}/${local.default_package_blob_name}"
  premium_package_url = var.package_url == "" ? local.default_package_url : var.package_url
  # The same message ARM's fail() gives; checked by a precondition on the Premium app.
  premium_package_problem = (
    local.is_flex || var.package_url == "" || startswith(lower(var.package_url), lower(local.package_account_prefix)) ? "" :
    local.use_package_account
    ? "package_url must point into the storage account named by package_storage_account_id (${local.package_account_prefix}...)"
    : "package_url must point into the app-package container of the app's own storage account (${local.package_account_prefix}...), or pass package_storage_account_id for a package held in another account"
  )
  package_container_name = local.package_uses_other_account ? element(split("/", var.package_url), 3) : ""

  # Built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles),
  # the same as variables('roles') in the ARM template.
  roles = {
    eventHubsDataReceiver       = "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"
    storageBlobDataOwner        = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
    storageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
    keyVaultSecretsUser         = "4633458b-17de-408a-b874-0445c86b69e6"
    monitoringMetricsPublisher  = "3913510d-42f4-4e42-8a64-420c390055eb"
    storageBlobDataReader       = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
  }

  # The app, whichever resource manages it (azapi on Flex Consumption, azurerm on Premium:
  # terraform/README.md says why).
  function_app_id           = local.is_flex ? azapi_resource.flex_app[0].id : azurerm_linux_function_app.premium[0].id
  function_app_principal_id = local.is_flex ? azapi_resource.flex_app[0].identity[0].principal_id : azurerm_linux_function_app.premium[0].identity[0].principal_id
}
