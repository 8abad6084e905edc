# The vault that holds the Coralogix key (and, in the ListenConnectionString mode, the hub's
# listen connection string). RBAC only, purge protection, audit logs to the workspace.

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_109: App Service resolves Key Vault references from the app's outbound path, and App Service is not a trusted service for the vault firewall; a deny-by-default firewall needs VNet integration plus a private endpoint (arm/README.md, Hardening further). Access is RBAC-only: the app's identity can read secrets, nobody else gets a data-plane role from this module.
  #checkov:skip=CKV_AZURE_189: Same reason as CKV_AZURE_109: public network access stays on until a private endpoint exists; every data-plane call still needs an Entra token and an RBAC role.
  #checkov:skip=CKV2_AZURE_32: Same reason as CKV_AZURE_109: no private endpoint by default (arm/README.md, Hardening further).
  name                            = local.key_vault_name
  resource_group_name             = var.resource_group_name
  location                        = local.location
  tags                            = var.tags
  tenant_id                       = data.azurerm_client_config.current.tenant_id
  sku_name                        = "standard"
  rbac_authorization_enabled      = true
  soft_delete_retention_days      = 90
  purge_protection_enabled        = true
  enabled_for_deployment          = false
  enabled_for_disk_encryption     = false
  enabled_for_template_deployment = false
  public_network_access_enabled   = true

  network_acls {
    bypass         = "AzureServices"
    default_action = "Allow"
  }
}

resource "azurerm_monitor_diagnostic_setting" "key_vault_audit" {
  name                       = "audit-to-log-analytics"
  target_resource_id         = azurerm_key_vault.this.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  enabled_log {
    category_group = "audit"
  }
}

resource "azurerm_role_assignment" "key_vault_secrets_user" {
  scope                            = azurerm_key_vault.this.id
  role_definition_id               = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.keyVaultSecretsUser}"
  principal_id                     = local.function_app_principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "entra-coralogix reads its Key Vault references (Coralogix key; Event Hub connection string in the fallback mode). The vault holds nothing else."
}

# The secrets are written through Azure Resource Manager (Microsoft.KeyVault/vaults/secrets), as
# the ARM template writes them, so the applying identity needs no data-plane role on the vault.
# azapi_resource_action sends one PUT and never deletes: leaving write mode (keep, external)
# leaves the secret as it is, like the template. The value goes in sensitive_body, a write-only
# argument: it is not stored in state or shown in plans. sensitive_body_version holds 8 hex
# characters of the value's SHA-256, so a new value is sent when, and only when, it changes.

# coralogix_private_key_mode = write only; never empty (the variable's validation stops an
# empty key in write mode).
resource "azapi_resource_action" "coralogix_private_key" {
  count       = local.write_coralogix_key ? 1 : 0
  type        = "Microsoft.KeyVault/vaults/secrets@2023-07-01"
  resource_id = "${azurerm_key_vault.this.id}/secrets/${local.coralogix_key_secret_name}"
  method      = "PUT"

  body = {
    properties = {
      contentType = "text/plain; Coralogix Send-Your-Data API key"
    }
  }
  sensitive_body = {
    properties = {
      value = var.coralogix_private_key
    }
  }
  sensitive_body_version = {
    "properties.value" = substr(sha256(var.coralogix_private_key), 0, 8)
  }
}

# pseudonymize_key_mode = write only; at least 32 characters (the variable's validation). The
# same write-only PUT as the Coralogix key; changing the key changes every pseudonym.
resource "azapi_resource_action" "pseudonymize_key" {
  count       = var.pseudonymize_key_mode == "write" ? 1 : 0
  type        = "Microsoft.KeyVault/vaults/secrets@2023-07-01"
  resource_id = "${azurerm_key_vault.this.id}/secrets/${local.pseudonymize_key_secret_name}"
  method      = "PUT"

  body = {
    properties = {
      contentType = "text/plain; pseudonymisation key (HMAC-SHA256)"
    }
  }
  sensitive_body = {
    properties = {
      value = var.pseudonymize_key
    }
  }
  sensitive_body_version = {
    "properties.value" = substr(sha256(var.pseudonymize_key), 0, 8)
  }
}

# event_hub_authentication = ListenConnectionString only. The hub rule's key is rotated on the
# Event Hubs side (regenerate it, then apply: the new connection string is written here).
resource "azapi_resource_action" "event_hub_connection_string" {
  count       = local.use_event_hub_identity ? 0 : 1
  type        = "Microsoft.KeyVault/vaults/secrets@2023-07-01"
  resource_id = "${azurerm_key_vault.this.id}/secrets/${local.event_hub_secret_name}"
  method      = "PUT"

  body = {
    properties = {
      contentType = "text/plain; Event Hubs connection string, Listen only, one hub"
    }
  }
  sensitive_body = {
    properties = {
      value = azurerm_eventhub_authorization_rule.listen[0].primary_connection_string
    }
  }
  sensitive_body_version = {
    "properties.value" = substr(sha256(azurerm_eventhub_authorization_rule.listen[0].primary_connection_string), 0, 8)
  }
}
