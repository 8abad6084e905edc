# The ARM template's outputs, in snake_case (diagnosticSettingCommand has no counterpart: the
# diagnostic setting is modules/entra-diagnostic-setting).

output "function_app_name" {
  description = "Name of the function app."
  value       = local.function_app_name
}

output "function_app_id" {
  description = "Resource id of the function app."
  value       = local.function_app_id
}

output "function_app_principal_id" {
  description = "Object id of the app's system-assigned identity (grant it Key Vault Secrets User on an external secret)."
  value       = local.function_app_principal_id
}

output "diagnostic_setting_authorization_rule_id" {
  description = "Id of the namespace authorization rule for the Entra diagnostic setting (modules/entra-diagnostic-setting's event_hub_authorization_rule_id); empty when create_diagnostic_setting_rule is false."
  value       = var.create_diagnostic_setting_rule ? azurerm_eventhub_namespace_authorization_rule.diagnostic_setting[0].id : ""
}

output "hosting_plan" {
  description = "The hosting plan: FlexConsumption, EP1, EP2 or EP3."
  value       = var.hosting_plan
}

output "storage_account_name" {
  description = "The app's storage account (host storage, dead-letter blobs, the package)."
  value       = azurerm_storage_account.this.name
}

output "run_from_package_url" {
  description = "Elastic Premium: the blob URL the app runs from (WEBSITE_RUN_FROM_PACKAGE). Empty on Flex Consumption."
  value       = local.is_flex ? "" : local.premium_package_url
}

output "package_upload_command" {
  description = "How to put the package in place after the apply, for the chosen plan and package source."
  value = (
    local.is_flex
    ? "az functionapp deployment source config-zip --resource-group ${var.resource_group_name} --name ${local.function_app_name} --src entra-coralogix.zip"
    : local.use_package_account
    ? "none: the app reads package_url from the account given by package_storage_account_id"
    : "az storage blob upload --auth-mode login --account-name ${azurerm_storage_account.this.name} --container-name ${local.deployment_container_name} --name ${trimprefix(local.premium_package_url, "${local.blob_endpoint}${local.deployment_container_name}/")} --file entra-coralogix.zip --overwrite"
  )
}

output "key_vault_name" {
  description = "The vault holding the Coralogix key (and the hub's connection string in the ListenConnectionString mode)."
  value       = azurerm_key_vault.this.name
}

output "application_insights_name" {
  description = "The Application Insights component."
  value       = azurerm_application_insights.this.name
}

output "event_hub_namespace" {
  description = "Name of the Event Hubs namespace."
  value       = local.event_hub_namespace
}

output "event_hub_name" {
  description = "The hub the diagnostic setting writes and the app reads."
  value       = var.event_hub_name
}

output "event_hub_resource_id" {
  description = "Resource id of the hub."
  value       = local.event_hub_id
}

output "consumer_group_name" {
  description = "The shipper's consumer group."
  value       = azurerm_eventhub_consumer_group.this.name
}
