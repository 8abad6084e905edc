output "diagnostic_setting_id" {
  description = "Id of the tenant diagnostic setting, /providers/microsoft.aadiam/diagnosticSettings/<name>."
  value       = azurerm_monitor_aad_diagnostic_setting.this.id
}
