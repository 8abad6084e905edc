# The app's storage account: host storage (checkpoints, leases, host keys, diagnostic events),
# dead-letter blobs and the package. Shared keys off: every request needs an Entra token.

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_35: The Functions host and the Flex deployment service reach this account over its public endpoint unless private endpoints are added; every request still needs an Entra token (shared keys are disabled). See arm/README.md, Hardening further.
  #checkov:skip=CKV_AZURE_59: Same reason as CKV_AZURE_35: public network access stays on so the platform can reach host storage; data access is Entra-only (shared keys off, no anonymous blob access).
  #checkov:skip=CKV_AZURE_33: Classic Storage Analytics queue logging writes with account keys, which are disabled here, and the app does not use queues.
  #checkov:skip=CKV_AZURE_206: Zone-redundant (Standard_ZRS) by default. The account matters only while the app's region is up (hub, app and account live together); geo-replication would protect dead-letter blobs against the loss of a region at twice the price. Choose Standard_GZRS through storage_account_sku when that matters.
  #checkov:skip=CKV2_AZURE_33: Same reason as CKV_AZURE_35: no private endpoint by default (arm/README.md, Hardening further); data access is Entra-only.
  #checkov:skip=CKV2_AZURE_1: Microsoft-managed keys with infrastructure (double) encryption, as in the ARM template; customer-managed keys are out of scope (arm/README.md, Hardening further).
  name                              = local.storage_account_name
  resource_group_name               = var.resource_group_name
  location                          = local.location
  tags                              = var.tags
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = trimprefix(var.storage_account_sku, "Standard_")
  access_tier                       = "Hot"
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  cross_tenant_replication_enabled  = false
  default_to_oauth_authentication   = true
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  public_network_access_enabled     = true
  infrastructure_encryption_enabled = true
  queue_encryption_key_type         = "Account"
  table_encryption_key_type         = "Account"

  network_rules {
    default_action = "Allow"
    bypass         = ["AzureServices"]
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }
}

# app-package, on both plans. Flex Consumption: the deployment container the platform writes
# the package into. Elastic Premium: where the package blob lives when it is kept in the app's
# own account; the app's identity reads it through its Storage Blob Data Owner assignment.
resource "azurerm_storage_container" "deployment" {
  #checkov:skip=CKV2_AZURE_21: No blob read logging, as in the ARM template: the account's only data-plane principal is the app's identity (shared keys are off), and StorageRead logs would record every checkpoint read of the Event Hub trigger, at a cost per request.
  name                  = local.deployment_container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

# The deadletter output binding of EventHubTrigger/function.json writes here.
resource "azurerm_storage_container" "dead_letter" {
  #checkov:skip=CKV2_AZURE_21: Same as the deployment container: no blob read logging, as in the ARM template; the app's identity is the only principal with a data role on the account.
  name                  = local.dead_letter_container_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "storage_blob_data_owner" {
  scope                            = azurerm_storage_account.this.id
  role_definition_id               = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.storageBlobDataOwner}"
  principal_id                     = local.function_app_principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "entra-coralogix host storage: checkpoints and leases (azure-webjobs-eventhub), host keys and locks, dead-letter blobs, and (Flex) the deployment package container."
}

resource "azurerm_role_assignment" "storage_table_data_contributor" {
  scope                            = azurerm_storage_account.this.id
  role_definition_id               = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.storageTableDataContributor}"
  principal_id                     = local.function_app_principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "entra-coralogix host storage: the Functions host writes its diagnostic events to Table storage."
}

# Elastic Premium with package_storage_account_id only: the app's identity may read the package
# blob's container in that account (Storage Blob Data Reader, the role Microsoft documents for
# WEBSITE_RUN_FROM_PACKAGE with a managed identity). The account may live in another resource
# group or subscription: a role assignment is created at its scope, wherever that is.
resource "azurerm_role_assignment" "package_blob_data_reader" {
  count                            = local.package_uses_other_account ? 1 : 0
  scope                            = "${var.package_storage_account_id}/blobServices/default/containers/${local.package_container_name}"
  role_definition_id               = "/subscriptions/${element(split("/", var.package_storage_account_id), 2)}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.storageBlobDataReader}"
  principal_id                     = local.function_app_principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "entra-coralogix runs from a package blob in this container (WEBSITE_RUN_FROM_PACKAGE, read with its managed identity)."
}
