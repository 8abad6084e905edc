terraform {
  required_version = ">= 1.11.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.42.0, < 5.0.0"
    }
    azapi = {
      source  = "Azure/azapi"
      version = ">= 2.11.0, < 3.0.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
  # The storage account has shared keys disabled: azurerm must use Entra tokens for any
  # storage data-plane call it makes.
  storage_use_azuread = true
}

provider "azapi" {
  subscription_id = var.subscription_id
}
