//! One record per category, shaped like Entra's diagnostic-settings export
//! (`docs/entra-logs.md#common-fields`, `docs/entra-logs.md#properties-by-family`): the Azure
//! Monitor common fields at the top, the Graph resource in `properties`, keys in the order
//! Entra writes them.

mod audit;
mod provisioning;
mod signin;
mod sizes;

use crate::rng::Rng;
use crate::tenant::Tenant;
use crate::time::Ticks;

use audit::audit;
use provisioning::provisioning;
use signin::{user_signin, workload_signin};
pub use sizes::{compact_audit, large, tiny};

/// The categories generated, in the order statistics are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    NonInteractiveUserSignInLogs,
    SignInLogs,
    ServicePrincipalSignInLogs,
    ManagedIdentitySignInLogs,
    AuditLogs,
    ProvisioningLogs,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::NonInteractiveUserSignInLogs,
        Category::SignInLogs,
        Category::ServicePrincipalSignInLogs,
        Category::ManagedIdentitySignInLogs,
        Category::AuditLogs,
        Category::ProvisioningLogs,
    ];

    /// Records of each category per 1000, in `ALL` order: mostly user sign-ins, as in a
    /// production tenant where non-interactive sign-ins dominate (`docs/entra-logs.md#volume`).
    pub const MIX_PER_MILLE: [u64; 6] = [460, 150, 130, 100, 130, 30];

    pub fn name(self) -> &'static str {
        match self {
            Category::NonInteractiveUserSignInLogs => "NonInteractiveUserSignInLogs",
            Category::SignInLogs => "SignInLogs",
            Category::ServicePrincipalSignInLogs => "ServicePrincipalSignInLogs",
            Category::ManagedIdentitySignInLogs => "ManagedIdentitySignInLogs",
            Category::AuditLogs => "AuditLogs",
            Category::ProvisioningLogs => "ProvisioningLogs",
        }
    }

    pub fn index(self) -> usize {
        Category::ALL
            .iter()
            .position(|&c| c == self)
            .expect("listed")
    }
}

/// One generated record.
#[derive(Debug, Clone)]
pub struct Record {
    pub category: Category,
    /// A failed sign-in, a failed audit activity or a failed provisioning action.
    pub failed: bool,
    pub json: Vec<u8>,
}

pub fn record(rng: &mut Rng, tenant: &Tenant, category: Category, at: Ticks) -> Record {
    let (json, failed) = match category {
        Category::NonInteractiveUserSignInLogs => user_signin(rng, tenant, at, false),
        Category::SignInLogs => user_signin(rng, tenant, at, true),
        Category::ServicePrincipalSignInLogs => workload_signin(rng, tenant, at, false),
        Category::ManagedIdentitySignInLogs => workload_signin(rng, tenant, at, true),
        Category::AuditLogs => audit(rng, tenant, at),
        Category::ProvisioningLogs => provisioning(rng, tenant, at),
    };
    Record {
        category,
        failed,
        json,
    }
}
