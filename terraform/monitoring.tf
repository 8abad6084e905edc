# Log Analytics workspace and workspace-based Application Insights with Entra-only ingestion.

resource "azurerm_log_analytics_workspace" "this" {
  name                            = local.workspace_name
  resource_group_name             = var.resource_group_name
  location                        = local.location
  tags                            = var.tags
  sku                             = "PerGB2018"
  retention_in_days               = var.log_analytics_retention_days
  allow_resource_only_permissions = true
}

resource "azurerm_application_insights" "this" {
  name                          = local.app_insights_name
  resource_group_name           = var.resource_group_name
  location                      = local.location
  tags                          = var.tags
  application_type              = "web"
  workspace_id                  = azurerm_log_analytics_workspace.this.id
  local_authentication_disabled = true
}

resource "azurerm_role_assignment" "monitoring_metrics_publisher" {
  scope                            = azurerm_application_insights.this.id
  role_definition_id               = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.roles.monitoringMetricsPublisher}"
  principal_id                     = local.function_app_principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
  description                      = "entra-coralogix sends telemetry with Entra authentication (the component has local auth disabled)."
}
