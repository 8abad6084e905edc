# The function app's settings, mirroring the appsettings resource of arm/azuredeploy.json:
# the same maps (hostAppSettings, eventHubIdentityAppSettings, eventHubSecretAppSettings,
# premiumAppSettings, handlerAppSettings), put together by local.app_settings the way the
# template's union() does. tests/settings_contract.rs reads this file and fails if the names
# differ from the template's, per plan and Event Hub mode, or from what the binary reads.
#
# Adding a handler setting: one variable in variables.tf plus one line in
# local.handler_app_settings. Keep one "NAME = value" per line: the contract test reads it.

locals {
  # Read by the Functions host and its extensions.
  host_app_settings = {
    AzureWebJobsStorage__blobServiceUri       = local.blob_endpoint
    AzureWebJobsStorage__queueServiceUri      = azurerm_storage_account.this.primary_queue_endpoint
    AzureWebJobsStorage__tableServiceUri      = azurerm_storage_account.this.primary_table_endpoint
    AzureWebJobsStorage__credential           = "managedidentity"
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "Authorization=AAD"
    EVENTHUB_NAME                             = var.event_hub_name
    EVENTHUB_CONSUMER_GROUP                   = var.consumer_group_name
  }

  # event_hub_authentication = ManagedIdentity.
  event_hub_identity_app_settings = {
    EventHubConnection__fullyQualifiedNamespace = "${local.event_hub_namespace}.${local.service_bus_suffix}"
    EventHubConnection__credential              = "managedidentity"
  }

  # event_hub_authentication = ListenConnectionString.
  event_hub_secret_app_settings = {
    EventHubConnection = "@Microsoft.KeyVault(SecretUri=${local.key_vault_secret_base}${local.event_hub_secret_name})"
  }

  # Elastic Premium only: Flex Consumption rejects these (it takes the runtime from
  # functionAppConfig and runs from its deployment container).
  premium_app_settings = {
    FUNCTIONS_EXTENSION_VERSION                  = "~4"
    FUNCTIONS_WORKER_RUNTIME                     = "custom"
    WEBSITE_RUN_FROM_PACKAGE                     = local.premium_package_url
    WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID = "SystemAssigned"
  }

  # Read by the handler (src/settings/mod.rs, TABLE): one line per setting.
  handler_app_settings = {
    CORALOGIX_PRIVATE_KEY          = "@Microsoft.KeyVault(SecretUri=${local.coralogix_key_secret_uri})"
    CORALOGIX_REGION               = var.coralogix_region
    CORALOGIX_DOMAIN               = var.coralogix_domain
    CORALOGIX_ENDPOINT             = var.coralogix_endpoint
    OTEL_EXPORTER_OTLP_ENDPOINT    = var.otel_exporter_otlp_endpoint
    EXTRA_CA_CERTS                 = var.extra_ca_certs
    CORALOGIX_APPLICATION          = var.coralogix_application
    CORALOGIX_SUBSYSTEM            = var.coralogix_subsystem
    CORALOGIX_SUBSYSTEM_MAP        = var.coralogix_subsystem_map
    DROP_CATEGORIES                = var.drop_categories
    DROP_SUCCESSFUL_CATEGORIES     = var.drop_successful_categories
    CORALOGIX_APPLICATION_SELECTOR = var.coralogix_application_selector
    CORALOGIX_SUBSYSTEM_SELECTOR   = var.coralogix_subsystem_selector
    BLOCKING_PATTERN               = var.blocking_pattern
    FILTER_RULES                   = var.filter_rules
    INCLUDE_METADATA               = var.include_metadata
    MASK_FIELDS                    = var.mask_fields
    MASK_VALUES                    = var.mask_values
    MASK_MODE                      = var.mask_mode
    PSEUDONYMIZE_KEY               = var.pseudonymize_key_mode == "none" ? "" : "@Microsoft.KeyVault(SecretUri=${local.key_vault_secret_base}${local.pseudonymize_key_secret_name})"
    SELF_MONITORING_SUBSYSTEM      = var.self_monitoring_subsystem
    COMPRESSION                    = var.compression
    DELIVERY_TIMEOUT_SECONDS       = var.delivery_timeout_seconds
    REQUEST_TIMEOUT_SECONDS        = var.request_timeout_seconds
    RETRY_MIN_DELAY_MS             = var.retry_min_delay_ms
    RETRY_MAX_DELAY_MS             = var.retry_max_delay_ms
    MAX_REQUEST_BYTES              = var.max_request_bytes
    MAX_CONCURRENT_REQUESTS        = var.max_concurrent_requests
    MAX_ENTRY_BYTES                = var.max_entry_bytes
    MAX_BODY_BYTES                 = var.max_body_bytes
    DEAD_LETTER_ENABLED            = var.dead_letter_enabled ? "true" : "false"
    MEMORY_BUDGET_MB               = var.memory_budget_mb
    RESTAMP_OLD_RECORDS            = var.restamp_old_records
    SHUTDOWN_GRACE_SECONDS         = var.shutdown_grace_seconds
    LOG_LEVEL                      = var.log_level
  }

  # Every setting of the app, for the chosen plan and Event Hub mode.
  app_settings = merge(local.host_app_settings, local.handler_app_settings, local.use_event_hub_identity ? local.event_hub_identity_app_settings : local.event_hub_secret_app_settings, local.is_flex ? {} : local.premium_app_settings, { APPLICATIONINSIGHTS_CONNECTION_STRING = azurerm_application_insights.this.connection_string })

  # On Elastic Premium azurerm_linux_function_app owns these two settings through arguments
  # (functions_extension_version, site_config.application_insights_connection_string) and
  # drops them from app_settings when it reads the app back, so they go there instead of into
  # its app_settings map; function_app.tf passes both from local.app_settings.
  azurerm_argument_settings = ["FUNCTIONS_EXTENSION_VERSION", "APPLICATIONINSIGHTS_CONNECTION_STRING"]
}
