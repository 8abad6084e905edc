output "function_app_name" {
  description = "Name of the function app."
  value       = module.entra_coralogix.function_app_name
}

output "function_app_principal_id" {
  description = "Object id of the app's identity."
  value       = module.entra_coralogix.function_app_principal_id
}

output "package_upload_command" {
  description = "Pushes the released zip when package_url was empty."
  value       = module.entra_coralogix.package_upload_command
}

output "diagnostic_setting_id" {
  description = "The tenant diagnostic setting."
  value       = module.entra_diagnostic_setting.diagnostic_setting_id
}
