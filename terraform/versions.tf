terraform {
  # 1.11: write-only arguments (the Coralogix key is sent to Azure, never stored in state).
  required_version = ">= 1.11.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # 4.42: azurerm_key_vault.rbac_authorization_enabled.
      version = ">= 4.42.0, < 5.0.0"
      # azurerm.eventhub: the subscription of the Event Hubs namespace. Pass the default
      # provider when the namespace is new or lives in the same subscription; pass an aliased
      # provider for an existing namespace in another subscription (azurerm creates consumer
      # groups and authorization rules in its own subscription, whatever ids it is given).
      configuration_aliases = [azurerm.eventhub]
    }
    azapi = {
      source = "Azure/azapi"
      # 2.11: sensitive_body (write-only) on azapi_resource_action.
      version = ">= 2.11.0, < 3.0.0"
    }
  }
}
