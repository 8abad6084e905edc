variable "subscription_id" {
  description = "Subscription to deploy into."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group to create for the shipper."
  type        = string
  default     = "rg-entra-coralogix"
}

variable "location" {
  description = "Region of the resource group and everything in it (Flex Consumption must be offered there)."
  type        = string
  default     = "westeurope"
}

variable "coralogix_private_key_mode" {
  description = "write (first apply, or a new key), keep (later applies without the key) or external (the key is already in a vault; see coralogix_key_vault_*)."
  type        = string
  default     = "write"
}

variable "coralogix_private_key" {
  description = "The Coralogix Send-Your-Data API key, for coralogix_private_key_mode = write. Set it through TF_VAR_coralogix_private_key at apply time, never in a file."
  type        = string
  default     = ""
  sensitive   = true
}

variable "coralogix_key_vault_name" {
  description = "coralogix_private_key_mode = external: the vault that already holds the key. Only its URI is read; the secret's value never passes through Terraform."
  type        = string
  default     = ""
}

variable "coralogix_key_vault_resource_group_name" {
  description = "coralogix_private_key_mode = external: the resource group of that vault."
  type        = string
  default     = ""
}

variable "coralogix_key_secret_name" {
  description = "coralogix_private_key_mode = external: the secret's name in that vault."
  type        = string
  default     = "coralogix-private-key"
}

variable "coralogix_region" {
  description = "Coralogix region of your team."
  type        = string
  default     = "EU1"
}

variable "package_url" {
  description = "Flex Consumption: URL of the released zip, read once at apply (a blob URL with a short-lived user delegation SAS). Empty: push the zip afterwards with the package_upload_command output."
  type        = string
  default     = ""
}
