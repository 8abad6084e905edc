# The hub: optionally the namespace and hub themselves, and always what this app needs on the
# hub (consumer group, read access, the diagnostic setting's rule). The hub-side resources use
# the azurerm.eventhub provider, whose subscription must be the namespace's: the ARM template
# reaches an existing namespace in another subscription with a nested deployment; Terraform
# does it with a provider for that subscription.

data "azurerm_client_config" "eventhub" {
  provider = azurerm.eventhub
}

resource "azurerm_eventhub_namespace" "this" {
  count                         = local.new_namespace ? 1 : 0
  name                          = local.event_hub_namespace
  resource_group_name           = var.resource_group_name
  location                      = local.location
  tags                          = var.tags
  sku                           = "Standard"
  capacity                      = 1
  auto_inflate_enabled          = true
  maximum_throughput_units      = var.event_hub_maximum_throughput_units
  minimum_tls_version           = "1.2"
  public_network_access_enabled = true
  # Azure Monitor streams with the namespace rule's key (arm/README.md, The diagnostic
  # setting's authorization rule), so local (SAS) authentication stays on.
  local_authentication_enabled = true
}

resource "azurerm_eventhub" "this" {
  count             = local.new_namespace ? 1 : 0
  name              = var.event_hub_name
  namespace_id      = azurerm_eventhub_namespace.this[0].id
  partition_count   = var.event_hub_partition_count
  message_retention = var.event_hub_retention_days
}

resource "azurerm_eventhub_consumer_group" "this" {
  provider            = azurerm.eventhub
  name                = var.consumer_group_name
  namespace_name      = local.event_hub_namespace
  eventhub_name       = var.event_hub_name
  resource_group_name = local.event_hub_resource_group
  user_metadata       = "Checkpoints of the entra-coralogix function app; no other reader should use this group."

  depends_on = [azurerm_eventhub.this]

  lifecycle {
    precondition {
      condition     = data.azurerm_client_config.eventhub.subscription_id == local.event_hub_subscription_id
      error_message = "The azurerm.eventhub provider works in subscription ${data.azurerm_client_config.eventhub.subscription_id}, but the Event Hubs namespace is in ${local.event_hub_subscription_id}: pass a provider for the namespace's subscription as azurerm.eventhub (the default provider when the namespace is new or in the same subscription)."
    }
  }
}

resource "azurerm_role_assignment" "event_hubs_data_receiver" {
  count                            = local.use_event_hub_identity ? 1 : 0
  scope                            = local.event_hub_id
  role_definition_id               = "/subscriptions/${local.event_hub_subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.eventHubsDataReceiver}"
  principal_id                     = local.function_app_principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "entra-coralogix reads this hub (Event Hub trigger through its managed identity)."

  depends_on = [azurerm_eventhub.this]
}

# event_hub_authentication = ListenConnectionString only: Listen on this hub, nothing else. Its
# connection string goes straight into Key Vault (key_vault.tf).
resource "azurerm_eventhub_authorization_rule" "listen" {
  provider            = azurerm.eventhub
  count               = local.use_event_hub_identity ? 0 : 1
  name                = local.listen_rule_name
  namespace_name      = local.event_hub_namespace
  eventhub_name       = var.event_hub_name
  resource_group_name = local.event_hub_resource_group
  listen              = true
  send                = false
  manage              = false

  depends_on = [azurerm_eventhub.this, azurerm_eventhub_consumer_group.this]
}

# Used only by the Entra diagnostic setting (modules/entra-diagnostic-setting): Azure Monitor
# documents Listen, Send and Manage on a namespace rule for streaming. Never given to the app.
resource "azurerm_eventhub_namespace_authorization_rule" "diagnostic_setting" {
  provider            = azurerm.eventhub
  count               = var.create_diagnostic_setting_rule ? 1 : 0
  name                = var.diagnostic_setting_rule_name
  namespace_name      = local.event_hub_namespace
  resource_group_name = local.event_hub_resource_group
  listen              = true
  send                = true
  manage              = true

  depends_on = [azurerm_eventhub_namespace.this, azurerm_eventhub_consumer_group.this]
}
