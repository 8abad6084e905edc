# The whole deployment with the README's defaults (arm/azuredeploy.parameters.json): Flex
# Consumption, a new Event Hubs namespace and hub, identity-based access, the key written to the
# module's Key Vault, and the tenant's Entra diagnostic setting pointing at the hub.

resource "azurerm_resource_group" "this" {
  name     = var.resource_group_name
  location = var.location
}

# coralogix_private_key_mode = external: the secret's URI, built from the vault's; no secret
# value is read (a data "azurerm_key_vault_secret" would copy the key into the state).
data "azurerm_key_vault" "coralogix" {
  count               = var.coralogix_private_key_mode == "external" ? 1 : 0
  name                = var.coralogix_key_vault_name
  resource_group_name = var.coralogix_key_vault_resource_group_name
}

module "entra_coralogix" {
  source = "../.."

  # The namespace is new, so it lives in the default provider's subscription. For an existing
  # namespace in another subscription, pass a provider for that subscription instead.
  providers = {
    azurerm          = azurerm
    azurerm.eventhub = azurerm
  }

  resource_group_name = azurerm_resource_group.this.name
  hosting_plan        = "FlexConsumption"
  package_url         = var.package_url

  coralogix_private_key_mode       = var.coralogix_private_key_mode
  coralogix_private_key            = var.coralogix_private_key
  coralogix_private_key_secret_uri = var.coralogix_private_key_mode == "external" ? "${data.azurerm_key_vault.coralogix[0].vault_uri}secrets/${var.coralogix_key_secret_name}" : ""

  coralogix_region           = var.coralogix_region
  coralogix_application      = "entra-id"
  coralogix_subsystem_map    = "SignInLogs=signins,NonInteractiveUserSignInLogs=signins-noninteractive,AuditLogs=audit"
  drop_successful_categories = ""
  compression                = "gzip"
  dead_letter_enabled        = true

  event_hub_namespace_mode  = "new"
  event_hub_name            = "entra-logs"
  event_hub_partition_count = 4
  event_hub_retention_days  = 7
  event_hub_authentication  = "ManagedIdentity"
  consumer_group_name       = "entra-coralogix"

  tags = {
    workload = "entra-coralogix"
  }
}

# Tenant scope: needs the Entra role Security Administrator for the applying identity. Apply it
# from a separate configuration if the identity that deploys the shipper should not hold it.
module "entra_diagnostic_setting" {
  source = "../../modules/entra-diagnostic-setting"

  event_hub_authorization_rule_id = module.entra_coralogix.diagnostic_setting_authorization_rule_id
  event_hub_name                  = module.entra_coralogix.event_hub_name
}
