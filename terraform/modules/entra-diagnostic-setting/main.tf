# The tenant-scope Microsoft Entra ID diagnostic setting that streams the chosen log categories to
# the hub entra-coralogix reads (arm/entra-diagnostic-settings.json). Needs the Entra role
# Security Administrator (or Global Administrator) for the applying identity, and ListKeys on
# the authorization rule.

resource "azurerm_monitor_aad_diagnostic_setting" "this" {
  name                           = var.setting_name
  eventhub_authorization_rule_id = var.event_hub_authorization_rule_id
  eventhub_name                  = var.event_hub_name

  dynamic "enabled_log" {
    for_each = toset(var.categories)
    content {
      category = enabled_log.value
    }
  }
}
