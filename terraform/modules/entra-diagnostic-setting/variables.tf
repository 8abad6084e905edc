# Inputs mirror arm/entra-diagnostic-settings.json's parameters, in snake_case.

variable "setting_name" {
  description = "Name of the diagnostic setting (one tenant can have up to five)."
  type        = string
  default     = "entra-to-coralogix"
  nullable    = false
}

variable "event_hub_authorization_rule_id" {
  description = "Resource id of a namespace-level authorization rule with Listen, Send and Manage (the rights Azure Monitor documents for streaming). The entra-coralogix module outputs one as diagnostic_setting_authorization_rule_id."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.EventHub/namespaces/[^/]+/authorizationRules/[^/]+$", var.event_hub_authorization_rule_id))
    error_message = "event_hub_authorization_rule_id must be the id of a namespace authorization rule, /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.EventHub/namespaces/<namespace>/authorizationRules/<rule>."
  }
}

variable "event_hub_name" {
  description = "The hub to write to: the one entra-coralogix reads (EVENTHUB_NAME). Always give it; without a name Azure Monitor creates one hub per category (insights-logs-<category>) that the shipper does not read."
  type        = string
  default     = "entra-logs"
  nullable    = false

  validation {
    condition     = length(var.event_hub_name) > 0
    error_message = "event_hub_name must not be empty: without it Azure Monitor writes to one hub per category, which the shipper does not read."
  }
}

variable "categories" {
  description = "Entra log categories to stream (exact strings). Sign-in categories need Entra ID P1/P2. NonInteractiveUserSignInLogs is often 5-10x the interactive volume: drop it here, or filter it in the shipper with DROP_SUCCESSFUL_CATEGORIES. Others: ADFSSignInLogs, RiskyUsers, UserRiskEvents, RiskyServicePrincipals, ServicePrincipalRiskEvents, MicrosoftGraphActivityLogs, NetworkAccessTrafficLogs, B2CRequestLogs."
  type        = list(string)
  default = [
    "AuditLogs",
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "ProvisioningLogs",
  ]
  nullable = false

  validation {
    condition     = length(var.categories) >= 1
    error_message = "categories must name at least one Entra log category."
  }
}
