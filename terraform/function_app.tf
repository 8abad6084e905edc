# The plan and the function app, built per plan as arm/azuredeploy.json builds them.
#
# Flex Consumption: azapi_resource sends the site exactly as the ARM template does
# (functionAppConfig, httpsOnly, a siteConfig holding only the TLS floors), and the app settings
# go in one Microsoft.Web/sites/config appsettings resource, as in the template. azurerm's
# azurerm_function_app_flex_consumption is not used: with an identity for deployment storage it
# adds an AzureWebJobsStorage connection string with an empty AccountKey to the app settings on
# every create and update (hashicorp/terraform-provider-azurerm#29693, #30732, #33211), and the
# Functions host then uses that connection string instead of the identity settings; with shared
# keys disabled the host cannot reach its storage. terraform/README.md has the details.
#
# Elastic Premium: azurerm_linux_function_app, with the template's site configuration.

resource "azurerm_service_plan" "this" {
  #checkov:skip=CKV_AZURE_225: Zone redundancy needs at least three always-on instances on Elastic Premium (and is region-dependent on Flex); for a log shipper a zonal outage means delay, not loss, because events wait in the Event Hub (7 days by default) and resume from the last checkpoint.
  #checkov:skip=CKV_AZURE_212: A minimum instance count does not apply to Flex Consumption (scales per Event Hub partition) or Elastic Premium (elastic scale, one always-ready instance). A missing instance delays delivery; events wait in the hub.
  name                         = local.plan_name
  resource_group_name          = var.resource_group_name
  location                     = local.location
  tags                         = var.tags
  os_type                      = "Linux"
  sku_name                     = local.is_flex ? "FC1" : var.hosting_plan
  maximum_elastic_worker_count = local.is_flex ? null : var.premium_maximum_elastic_worker_count
}

# --- Flex Consumption ------------------------------------------------------------------------

resource "azapi_resource" "flex_app" {
  count     = local.is_flex ? 1 : 0
  type      = "Microsoft.Web/sites@2024-04-01"
  name      = local.function_app_name
  parent_id = data.azurerm_resource_group.this.id
  location  = local.location
  tags      = var.tags

  identity {
    type = "SystemAssigned"
  }

  # A null property (virtualNetworkSubnetId without a subnet) is left out of the request, as
  # the template leaves it out instead of sending null.
  ignore_null_property = true

  body = {
    kind = "functionapp,linux"
    properties = {
      serverFarmId           = azurerm_service_plan.this.id
      httpsOnly              = true
      virtualNetworkSubnetId = var.integration_subnet_id == "" ? null : var.integration_subnet_id
      functionAppConfig = {
        deployment = {
          storage = {
            type  = "blobContainer"
            value = "${local.blob_endpoint}${local.deployment_container_name}"
            authentication = {
              type = "SystemAssignedIdentity"
            }
          }
        }
        scaleAndConcurrency = {
          maximumInstanceCount = var.flex_maximum_instance_count
          instanceMemoryMB     = var.flex_instance_memory_mb
        }
        runtime = {
          name    = "custom"
          version = "1.0"
        }
      }
      # Only the TLS floors: Flex Consumption rejects siteConfig properties it does not support
      # (ARM error 51021; arm/README.md, What Flex is sent, and why so little).
      siteConfig = {
        minTlsVersion    = "1.2"
        scmMinTlsVersion = "1.2"
      }
    }
  }

  depends_on = [azurerm_storage_container.deployment]
}

# The whole set of app settings, as the template's config/appsettings resource: an apply
# replaces it, so settings are changed here, not by hand in the portal.
resource "azapi_resource" "flex_app_settings" {
  count     = local.is_flex ? 1 : 0
  type      = "Microsoft.Web/sites/config@2024-04-01"
  name      = "appsettings"
  parent_id = azapi_resource.flex_app[0].id

  body = {
    properties = local.app_settings
  }

  # The app starts with every right it needs and every secret its references name.
  depends_on = [
    azapi_resource_action.coralogix_private_key,
    azapi_resource_action.pseudonymize_key,
    azapi_resource_action.event_hub_connection_string,
    azurerm_role_assignment.key_vault_secrets_user,
    azurerm_role_assignment.storage_blob_data_owner,
    azurerm_role_assignment.storage_table_data_contributor,
    azurerm_role_assignment.monitoring_metrics_publisher,
    azurerm_role_assignment.event_hubs_data_receiver,
    azurerm_eventhub_consumer_group.this,
    azurerm_storage_container.dead_letter,
  ]
}

# SCM (Kudu, zip deploy) basic-auth publishing off; deployments use Entra tokens. Flex has no
# FTP, so the ftp policy is not sent (arm/README.md). A singleton child of the site, sent as the
# template sends it: one PUT with a location, which the resource provider requires although the
# API specification (and so azapi's schema for azapi_resource) leaves it out
# (Azure/bicep-types-az#1526); nothing happens on destroy.
resource "azapi_resource_action" "flex_scm_basic_auth" {
  count       = local.is_flex ? 1 : 0
  type        = "Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01"
  resource_id = "${azapi_resource.flex_app[0].id}/basicPublishingCredentialsPolicies/scm"
  method      = "PUT"

  body = {
    location = local.location
    properties = {
      allow = false
    }
  }
}

# Flex Consumption with package_url only: the platform downloads packageUri once and stores it
# in the deployment container with the app's identity (ARM: the onedeploy extension). Sent
# again when package_url changes; nothing happens on destroy.
resource "azapi_resource_action" "flex_onedeploy" {
  count       = local.is_flex && var.package_url != "" ? 1 : 0
  type        = "Microsoft.Web/sites/extensions@2024-04-01"
  resource_id = "${azapi_resource.flex_app[0].id}/extensions/onedeploy"
  method      = "PUT"

  body = {
    properties = {
      packageUri  = var.package_url
      remoteBuild = false
    }
  }

  depends_on = [azapi_resource.flex_app_settings]
}

# --- Elastic Premium -------------------------------------------------------------------------

resource "azurerm_linux_function_app" "premium" {
  #checkov:skip=CKV_AZURE_221: Inbound public access serves only the host's key-protected admin endpoints (no HTTP-triggered function exists); it stays on so deployments and the platform reach the app without a private endpoint. See arm/README.md, Hardening further.
  count                         = local.is_flex ? 0 : 1
  name                          = local.function_app_name
  resource_group_name           = var.resource_group_name
  location                      = local.location
  tags                          = var.tags
  service_plan_id               = azurerm_service_plan.this.id
  https_only                    = true
  public_network_access_enabled = true
  virtual_network_subnet_id     = var.integration_subnet_id == "" ? null : var.integration_subnet_id

  # Host storage through the identity. azurerm needs an account here and then also writes
  # AzureWebJobsStorage__accountName (the same account the __*ServiceUri settings name).
  storage_account_name          = azurerm_storage_account.this.name
  storage_uses_managed_identity = true
  # No Azure Files content share (it needs an account key; arm/README.md, Premium without a
  # content share), and no AzureWebJobsDashboard setting.
  content_share_force_disabled = true
  builtin_logging_enabled      = false

  functions_extension_version                    = local.app_settings["FUNCTIONS_EXTENSION_VERSION"]
  app_settings                                   = { for name, value in local.app_settings : name => value if !contains(local.azurerm_argument_settings, name) }
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false

  identity {
    type = "SystemAssigned"
  }

  site_config {
    application_insights_connection_string = local.app_settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    ftps_state                             = "Disabled"
    http2_enabled                          = true
    remote_debugging_enabled               = false
    vnet_route_all_enabled                 = var.integration_subnet_id != ""

    application_stack {
      use_custom_runtime = true
    }

    cors {
      allowed_origins = []
    }
  }

  lifecycle {
    precondition {
      condition     = local.premium_package_problem == ""
      error_message = local.premium_package_problem
    }
  }
}

# azurerm writes a Premium app's settings when it creates the app, before the role assignments
# below exist (they need the app's identity), so its first attempt to resolve the Key Vault
# references and to read WEBSITE_RUN_FROM_PACKAGE can fail. The ARM template orders this with
# a separate appsettings resource; here the app is restarted once everything is in place.
resource "azapi_resource_action" "premium_restart" {
  count       = local.is_flex ? 0 : 1
  type        = "Microsoft.Web/sites@2024-04-01"
  resource_id = azurerm_linux_function_app.premium[0].id
  action      = "restart"
  method      = "POST"

  depends_on = [
    azapi_resource_action.coralogix_private_key,
    azapi_resource_action.pseudonymize_key,
    azapi_resource_action.event_hub_connection_string,
    azurerm_role_assignment.key_vault_secrets_user,
    azurerm_role_assignment.storage_blob_data_owner,
    azurerm_role_assignment.storage_table_data_contributor,
    azurerm_role_assignment.monitoring_metrics_publisher,
    azurerm_role_assignment.event_hubs_data_receiver,
    azurerm_role_assignment.package_blob_data_reader,
    azurerm_eventhub_consumer_group.this,
    azurerm_storage_container.dead_letter,
  ]

  lifecycle {
    replace_triggered_by = [azurerm_linux_function_app.premium[0].id]
  }
}
