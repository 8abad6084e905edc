//! One record per category, shaped like Entra's diagnostic-settings export
//! (`docs/entra-logs.md#common-fields`, `docs/entra-logs.md#properties-by-family`): the Azure
//! Monitor common fields at the top, the Graph resource in `properties`, keys in the order
//! Entra writes them.

use crate::json::{Obj, object};
use crate::rng::Rng;
use crate::tenant::{CLIENT_APPS, RESOURCES, Tenant, documentation_ip};
use crate::time::{self, Ticks};

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

/// (code, failure reason) of failed user sign-ins.
const USER_FAILURES: &[(i64, &str)] = &[
    (
        50126,
        "Error validating credentials due to invalid username or password.",
    ),
    (
        50140,
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
    ),
    (50074, "Strong Authentication is required."),
    (
        53003,
        "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
    ),
    (
        70044,
        "The session has expired or is invalid due to sign-in frequency checks by conditional access.",
    ),
    (
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
    ),
];

/// The Azure Monitor common fields every sign-in starts with.
struct SigninTop<'a> {
    category: &'a str,
    code: i64,
    reason: Option<&'a str>,
    caller_ip: &'a str,
    correlation: &'a str,
    identity: &'a str,
    location: &'a str,
}

impl SigninTop<'_> {
    fn write(&self, o: &mut Obj, tenant: &Tenant, at: Ticks) {
        o.str("time", &time::zulu7(at))
            .str(
                "resourceId",
                &format!("/tenants/{}/providers/Microsoft.aadiam", tenant.id),
            )
            .str("operationName", "Sign-in activity")
            .str("operationVersion", "1.0")
            .str("category", self.category)
            .str("tenantId", &tenant.id)
            .str("resultType", &self.code.to_string())
            .str("resultSignature", "None");
        if let Some(reason) = self.reason {
            o.str("resultDescription", reason);
        }
        o.int("durationMs", 0)
            .str("callerIpAddress", self.caller_ip)
            .str("correlationId", self.correlation)
            .str("identity", self.identity)
            .int("Level", 4)
            .str("location", self.location);
    }
}

fn user_signin(rng: &mut Rng, tenant: &Tenant, at: Ticks, interactive: bool) -> (Vec<u8>, bool) {
    let user = rng.pick(&tenant.users);
    let (app_id, app_name, client_app) = *rng.pick(CLIENT_APPS);
    let (resource_id, resource_name) = *rng.pick(&RESOURCES[..4]);
    let failure = rng
        .chance(if interactive { 60 } else { 35 })
        .then(|| *rng.pick(USER_FAILURES));
    let (code, reason) = failure.map_or((0, None), |(c, r)| (c, Some(r)));
    let id = rng.guid();
    let correlation = rng.guid();
    let blocked = code == 53003;
    // 5-15 policies: most sign-ins are evaluated against 5-8, a tail against up to 15.
    let n_policies = if rng.chance(150) {
        rng.range(9, 15)
    } else {
        rng.range(5, 8)
    } as usize;
    let mfa = interactive && rng.chance(400);
    let ip = if rng.chance(900) {
        user.ip.clone()
    } else {
        documentation_ip(rng)
    };
    let mut any_success = false;
    let json = object(|o| {
        let category = if interactive {
            "SignInLogs"
        } else {
            "NonInteractiveUserSignInLogs"
        };
        SigninTop {
            category,
            code,
            reason,
            caller_ip: &ip,
            correlation: &correlation,
            identity: &user.display_name,
            location: user.place.country,
        }
        .write(o, tenant, at);
        o.obj("properties", |p| {
            p.str("id", &id)
                .str("createdDateTime", &time::offset7(at))
                .str("userDisplayName", &user.display_name)
                .str("userPrincipalName", &user.upn)
                .str("userId", &user.id)
                .str("appId", app_id)
                .str("appDisplayName", app_name)
                .str("ipAddress", &ip)
                .obj("status", |s| {
                    s.int("errorCode", code);
                    if let Some(reason) = reason {
                        s.str("failureReason", reason);
                        s.str("additionalDetails", "MFA requirement satisfied by claim in the token");
                    }
                })
                .str("clientAppUsed", client_app)
                .str("userAgent", user.device.user_agent)
                .obj("deviceDetail", |d| {
                    d.str("deviceId", &user.device.id)
                        .str("displayName", &user.device.display_name)
                        .str("operatingSystem", user.device.os)
                        .str("browser", user.device.browser)
                        .bool("isCompliant", user.device.compliant)
                        .bool("isManaged", !user.device.id.is_empty())
                        .str("trustType", user.device.trust_type);
                })
                .obj("location", |l| {
                    l.str("city", user.place.city)
                        .str("state", user.place.state)
                        .str("countryOrRegion", user.place.country)
                        .obj("geoCoordinates", |g| {
                            g.raw("latitude", user.place.lat)
                                .raw("longitude", user.place.lon);
                        });
                })
                .str("correlationId", &correlation)
                .str("conditionalAccessStatus", if blocked { "failure" } else { "success" })
                .arr("appliedConditionalAccessPolicies", |a| {
                    for (i, policy) in tenant.policies[..n_policies].iter().enumerate() {
                        let result = if blocked && i == 1 {
                            "failure"
                        } else if policy.report_only {
                            if rng.chance(300) {
                                "reportOnlySuccess"
                            } else {
                                "reportOnlyNotApplied"
                            }
                        } else {
                            match rng.below(20) {
                                0 => "notEnabled",
                                1..=7 if !policy.grant.contains(&"Block") => {
                                    any_success = true;
                                    "success"
                                }
                                _ => "notApplied",
                            }
                        };
                        a.obj(|c| {
                            c.str("id", &policy.id)
                                .str("displayName", policy.display_name)
                                .strs("enforcedGrantControls", policy.grant)
                                .strs("enforcedSessionControls", policy.session)
                                .str("result", result)
                                .int("conditionsSatisfied", *rng.pick(&[1, 3, 7, 19, 23, 31]))
                                .int("conditionsNotSatisfied", *rng.pick(&[0, 0, 2, 4, 12, 16]));
                        });
                    }
                })
                .bool("isInteractive", interactive)
                .str("tokenIssuerName", "")
                .str("tokenIssuerType", "AzureAD")
                .int("processingTimeInMilliseconds", rng.range(20, 400) as i64)
                .str("riskDetail", "none")
                .str("riskLevelAggregated", "none")
                .str("riskLevelDuringSignIn", "none")
                .str("riskState", "none")
                .raw("riskEventTypes", "[]")
                .raw("riskEventTypes_v2", "[]")
                .str("resourceDisplayName", resource_name)
                .str("resourceId", resource_id)
                .str("homeTenantId", &tenant.id)
                .arr("authenticationDetails", |a| {
                    if !interactive {
                        return;
                    }
                    a.obj(|d| {
                        d.str("authenticationStepDateTime", &time::offset7(at))
                            .str("authenticationMethod", "Password")
                            .str("authenticationMethodDetail", "Password in the cloud")
                            .bool("succeeded", code != 50126)
                            .str("authenticationStepResultDetail", if code == 50126 { "Invalid username or password or Invalid on-premise username or password." } else { "Correct password" })
                            .str("authenticationStepRequirement", "Primary authentication")
                            .int("StatusSequence", 0)
                            .int("RequestSequence", 0);
                    });
                    if mfa {
                        a.obj(|d| {
                            d.str("authenticationStepDateTime", &time::offset7(at + 95_000_000))
                                .str("authenticationMethod", "Mobile app notification")
                                .str("authenticationMethodDetail", "")
                                .bool("succeeded", true)
                                .str("authenticationStepResultDetail", "MFA successfully completed")
                                .str("authenticationStepRequirement", "Multi-factor authentication")
                                .int("StatusSequence", 0)
                                .int("RequestSequence", 1);
                        });
                    }
                })
                .str(
                    "authenticationRequirement",
                    if mfa { "multiFactorAuthentication" } else { "singleFactorAuthentication" },
                )
                .arr("authenticationProcessingDetails", |a| {
                    a.obj(|kv| {
                        kv.str("key", "Is Client Capable").str("value", "True");
                    });
                    a.obj(|kv| {
                        kv.str("key", "IsCAEToken")
                            .str("value", if any_success { "True" } else { "False" });
                    });
                    if !interactive {
                        a.obj(|kv| {
                            kv.str("key", "Root Key Type").str("value", "Software");
                        });
                    }
                })
                .str("incomingTokenType", if interactive { "none" } else { "primaryRefreshToken" })
                .str("userType", "Member")
                .bool("flaggedForReview", false);
            if interactive {
                // Keys that newer records carry; only on interactive sign-ins here, which keeps
                // the average record near the 2-3 KB.
                p.str("uniqueTokenIdentifier", &rng.token(22))
                    .str("crossTenantAccessType", "none")
                    .raw("autonomousSystemNumber", &user.place.asn.to_string())
                    .str("sessionId", &rng.guid())
                    .bool("isTenantRestricted", false)
                    .str("authenticationProtocol", "none")
                    .raw("signInEventTypes", "[\"interactiveUser\"]")
                    .obj("tokenProtectionStatusDetails", |t| {
                        t.str("signInSessionStatus", "unbound")
                            .int("signInSessionStatusCode", 1002);
                    });
            }
        });
    });
    (json, code != 0)
}

fn workload_signin(rng: &mut Rng, tenant: &Tenant, at: Ticks, managed: bool) -> (Vec<u8>, bool) {
    let pool = if managed {
        &tenant.managed_identities
    } else {
        &tenant.service_principals
    };
    let w = rng.pick(pool);
    let (resource_id, resource_name) = RESOURCES[w.resource];
    let failure = (!managed && rng.chance(25)).then(|| {
        *rng.pick(&[
            (
                7000222,
                "The provided client secret keys for app are expired.",
            ),
            (7000215, "Invalid client secret provided."),
        ])
    });
    let (code, reason) = failure.map_or((0, None), |(c, r)| (c, Some(r)));
    let id = rng.guid();
    let correlation = rng.guid();
    let category = if managed {
        "ManagedIdentitySignInLogs"
    } else {
        "ServicePrincipalSignInLogs"
    };
    let json = object(|o| {
        SigninTop {
            category,
            code,
            reason,
            caller_ip: &w.ip,
            correlation: &correlation,
            identity: &w.name,
            location: "",
        }
        .write(o, tenant, at);
        o.obj("properties", |p| {
            p.str("id", &id)
                .str("createdDateTime", &time::offset7(at))
                .raw("userId", "null")
                .str("appId", &w.app_id)
                .str("ipAddress", &w.ip)
                .obj("status", |s| {
                    s.int("errorCode", code);
                    if let Some(reason) = reason {
                        s.str("failureReason", reason);
                    }
                })
                .obj("location", |l| {
                    l.str("city", "")
                        .str("state", "")
                        .str("countryOrRegion", "")
                        .obj("geoCoordinates", |g| {
                            g.int("latitude", 0).int("longitude", 0);
                        });
                })
                .str("correlationId", &correlation)
                .str("conditionalAccessStatus", "notApplied")
                .raw("appliedConditionalAccessPolicies", "[]")
                .bool("isInteractive", false)
                .str("tokenIssuerType", "AzureAD")
                .arr("authenticationProcessingDetails", |a| {
                    a.obj(|kv| {
                        kv.str("key", "Azure AD App Authentication Library").str(
                            "value",
                            "Family: MSAL Library: MSAL.NET 4.66.1 Platform: .NET",
                        );
                    });
                })
                .int("processingTimeInMilliseconds", rng.range(0, 60) as i64)
                .str("riskDetail", "none")
                .str("riskLevelAggregated", "low")
                .str("riskLevelDuringSignIn", "low")
                .str("riskState", "none")
                .str("resourceDisplayName", resource_name)
                .str("resourceId", resource_id)
                .str("servicePrincipalName", &w.name)
                .str("servicePrincipalId", &w.sp_id)
                .bool("flaggedForReview", false)
                .bool("isTenantRestricted", false)
                .str("crossTenantAccessType", "none")
                .str("servicePrincipalCredentialKeyId", &w.credential_key_id)
                .str("servicePrincipalCredentialThumbprint", "")
                .str("uniqueTokenIdentifier", &rng.token(22))
                .str("incomingTokenType", "none")
                .str("authenticationProtocol", "none");
            if managed {
                p.obj("managedServiceIdentity", |m| {
                    m.str("msiType", "SystemAssigned")
                        .str("associatedResourceId", &w.resource_id)
                        .str("federatedTokenId", "")
                        .str("federatedTokenIssuer", "");
                });
            }
        });
    });
    (json, code != 0)
}

/// An audit activity: (name, directory category, operation type, service).
const ACTIVITIES: &[(&str, &str, &str, &str)] = &[
    ("Update user", "UserManagement", "Update", "Core Directory"),
    (
        "Add member to group",
        "GroupManagement",
        "Assign",
        "Core Directory",
    ),
    ("Update device", "Device", "Update", "Core Directory"),
    (
        "Change user license",
        "UserManagement",
        "Update",
        "Core Directory",
    ),
    (
        "Update application \u{2013} Certificates and secrets management ",
        "ApplicationManagement",
        "Update",
        "Core Directory",
    ),
    (
        "Update conditional access policy",
        "Policy",
        "Update",
        "Conditional Access",
    ),
    (
        "Reset user password",
        "UserManagement",
        "Update",
        "Self-service Password Management",
    ),
];

fn audit(rng: &mut Rng, tenant: &Tenant, at: Ticks) -> (Vec<u8>, bool) {
    let activity = rng.weighted(&[30, 20, 20, 10, 5, 5, 10]);
    let (name, directory_category, operation, service) = ACTIVITIES[activity];
    let failed = rng.chance(20);
    let correlation = rng.guid();
    let user = rng.pick(&tenant.users);
    let admin = &tenant.users[*rng.pick(&tenant.admins)];
    let by_app = matches!(activity, 2 | 3) || rng.chance(300);
    let json = object(|o| {
        o.str("time", &time::zulu7(at))
            .str(
                "resourceId",
                &format!("/tenants/{}/providers/Microsoft.aadiam", tenant.id),
            )
            .str("operationName", name)
            .str("operationVersion", "1.0")
            .str("category", "AuditLogs")
            .str("tenantId", &tenant.id)
            .str("resultSignature", "None")
            .int("durationMs", 0)
            .str("callerIpAddress", if by_app { "" } else { &admin.ip })
            .str("correlationId", &correlation)
            .str(
                "identity",
                if by_app {
                    "Microsoft Substrate Management"
                } else {
                    &admin.display_name
                },
            )
            .str("level", "Informational")
            .obj("properties", |p| {
                p.str(
                    "id",
                    &format!(
                        "Directory_{}_{}",
                        correlation,
                        rng.token(5).to_ascii_uppercase()
                    ),
                )
                .str("category", directory_category)
                .str("correlationId", &correlation)
                .str("result", if failed { "failure" } else { "success" })
                .str(
                    "resultReason",
                    if failed {
                        "Microsoft.Online.Workflows.ObjectAlreadyExistsException"
                    } else {
                        ""
                    },
                )
                .str("activityDisplayName", name)
                .str("activityDateTime", &time::offset7(at))
                .str("loggedByService", service)
                .str("operationType", operation)
                .obj("initiatedBy", |i| {
                    if by_app {
                        i.obj("app", |a| {
                            a.str("appId", "98db8bd6-0cc0-4e67-9de5-f187f1cd1b41")
                                .str("displayName", "Microsoft Substrate Management")
                                .str("servicePrincipalId", &tenant.service_principals[0].sp_id)
                                .raw("servicePrincipalName", "null");
                        });
                    } else {
                        i.obj("user", |u| {
                            u.str("id", &admin.id)
                                .raw("displayName", "null")
                                .str("userPrincipalName", &admin.upn)
                                .str("ipAddress", &admin.ip)
                                .raw("roles", "[]");
                        });
                    }
                })
                .str("userAgent", admin.device.user_agent)
                .arr("targetResources", |t| {
                    t.obj(|r| target(r, rng, tenant, activity, user, at));
                    if activity == 1 {
                        let (gid, gname) = rng.pick(&tenant.groups);
                        t.obj(|r| {
                            r.str("id", gid)
                                .raw("displayName", "null")
                                .str("type", "Group")
                                .str("groupType", "unknownFutureValue")
                                .raw("modifiedProperties", "[]")
                                .raw("administrativeUnits", "[]");
                            let _ = gname;
                        });
                    }
                })
                .arr("additionalDetails", |a| {
                    a.obj(|kv| {
                        kv.str("key", "User-Agent")
                            .str("value", admin.device.user_agent);
                    });
                    if activity == 0 || activity == 3 {
                        a.obj(|kv| {
                            kv.str("key", "UserType").str("value", "Member");
                        });
                    }
                });
            });
    });
    (json, failed)
}

/// The changed object of an audit record, with `modifiedProperties` whose `oldValue`/`newValue`
/// are JSON inside strings, as Entra writes them.
fn target(
    r: &mut Obj,
    rng: &mut Rng,
    tenant: &Tenant,
    activity: usize,
    user: &crate::tenant::User,
    at: Ticks,
) {
    let prop = |r: &mut crate::json::Arr, name: &str, old: Option<&str>, new: &str| {
        r.obj(|m| {
            m.str("displayName", name)
                .opt_str("oldValue", old)
                .str("newValue", new);
        });
    };
    match activity {
        2 => {
            r.str("id", &user.device.id)
                .str("displayName", &user.device.display_name)
                .str("type", "Device")
                .arr("modifiedProperties", |m| {
                    prop(
                        m,
                        "DeviceOSVersion",
                        Some("[\"10.0.22631.4317\"]"),
                        "[\"10.0.22631.4460\"]",
                    );
                    prop(
                        m,
                        "ApproximateLastLogonTimestamp",
                        Some(&format!(
                            "[\"{}\"]",
                            time::zulu7(at - 86_400 * time::TICKS_PER_SECOND)
                        )),
                        &format!("[\"{}\"]", time::zulu7(at)),
                    );
                    prop(
                        m,
                        "Included Updated Properties",
                        Some(""),
                        "\"DeviceOSVersion, ApproximateLastLogonTimestamp\"",
                    );
                });
        }
        4 => {
            let sp = rng.pick(&tenant.service_principals);
            r.str("id", &sp.sp_id)
                .str("displayName", &sp.name)
                .str("type", "Application")
                .arr("modifiedProperties", |m| {
                    let key = |rng: &mut Rng| {
                        format!(
                            "[KeyIdentifier={},KeyType=Password,KeyUsage=Verify,DisplayName=rotated-{}]",
                            rng.guid(),
                            rng.below(100)
                        )
                    };
                    let old = format!("[\"{}\"]", key(rng));
                    let new = format!("[\"{}\",\"{}\"]", key(rng), key(rng));
                    prop(m, "KeyDescription", Some(&old), &new);
                    prop(m, "Included Updated Properties", Some(""), "\"KeyDescription\"");
                });
        }
        5 => {
            let policy = rng.pick(&tenant.policies);
            r.str("id", &policy.id)
                .str("displayName", policy.display_name)
                .str("type", "Policy")
                .arr("modifiedProperties", |m| {
                    let detail = |state: &str| {
                        // A policy document serialized into a string, inside a JSON array,
                        // inside a string: three levels of escaping in the record.
                        let inner = format!(
                            "{{\"Version\":1,\"CreatedDateTime\":\"2025-03-04T10:11:12Z\",\"State\":\"{state}\",\"Conditions\":{{\"Applications\":{{\"Include\":[{{\"Applications\":[\"All\"]}}]}},\"Users\":{{\"Include\":[{{\"Users\":[\"All\"]}}],\"Exclude\":[{{\"Users\":[\"{}\"]}}]}}}},\"Controls\":[{{\"Control\":[\"Mfa\"]}}]}}",
                            tenant.users[0].id
                        );
                        format!("[\"{}\"]", inner.replace('"', "\\\""))
                    };
                    prop(m, "ConditionalAccessPolicy", Some(&detail("Reporting")), &detail("Enabled"));
                });
        }
        _ => {
            r.str("id", &user.id)
                .raw("displayName", "null")
                .str("type", "User")
                .str("userPrincipalName", &user.upn)
                .arr("modifiedProperties", |m| match activity {
                    1 => {
                        let (gid, gname) = rng.pick(&tenant.groups);
                        prop(m, "Group.ObjectID", None, &format!("\"{gid}\""));
                        prop(m, "Group.DisplayName", None, &format!("\"{gname}\""));
                    }
                    3 => {
                        prop(
                            m,
                            "AssignedLicense",
                            Some("[\"[SkuName=ENTERPRISEPACK, AccountId=8c1b6a7e, SkuId=6fd2c87f-b296-42f0-b197-1e91e994b900, DisabledPlans=[]]\"]"),
                            "[\"[SkuName=SPE_E5, AccountId=8c1b6a7e, SkuId=06ebc4ee-1bb5-47dd-8120-11324bc54e06, DisabledPlans=[]]\"]",
                        );
                        prop(m, "Included Updated Properties", None, "\"AssignedLicense\"");
                    }
                    6 => {
                        prop(m, "PasswordPolicies", Some("[]"), "[\"None\"]");
                        prop(m, "Included Updated Properties", None, "\"PasswordPolicies\"");
                    }
                    _ => {
                        let before = time::zulu7(at - 3_600 * time::TICKS_PER_SECOND);
                        prop(
                            m,
                            "StsRefreshTokensValidFrom",
                            Some(&format!("[\"{before}\"]")),
                            &format!("[\"{}\"]", time::zulu7(at)),
                        );
                        prop(m, "AccountEnabled", Some("[true]"), "[true]");
                        prop(
                            m,
                            "Included Updated Properties",
                            None,
                            "\"StsRefreshTokensValidFrom, AccountEnabled\"",
                        );
                    }
                })
                .raw("administrativeUnits", "[]");
        }
    }
}

fn provisioning(rng: &mut Rng, tenant: &Tenant, at: Ticks) -> (Vec<u8>, bool) {
    let user = rng.pick(&tenant.users);
    let sp = &tenant.service_principals[4];
    let outcome = rng.weighted(&[850, 100, 50]);
    let (result, status) = [
        ("Success", "success"),
        ("Skipped", "skipped"),
        ("Failure", "failure"),
    ][outcome];
    let id = rng.guid();
    let change = rng.guid();
    let duration = rng.range(300, 4000) as i64;
    let json = object(|o| {
        o.str("time", &time::zulu7(at))
            .str("resourceId", &format!("/tenants/{}/providers/Microsoft.aadiam", tenant.id))
            .str("operationName", "Provisioning activity")
            .str("operationVersion", "1.0")
            .str("category", "ProvisioningLogs")
            .str("tenantId", &tenant.id)
            .str("resultType", result)
            .int("durationMs", duration)
            .str("correlationId", &change)
            .str("identity", &id)
            .int("Level", 4)
            .obj("properties", |p| {
                p.str("id", &id)
                    .str("activityDateTime", &time::zulu7(at))
                    .str("tenantId", &tenant.id)
                    .str("jobId", &format!("ServiceNowOutDelta.{}.{}", tenant.id.replace('-', ""), sp.app_id))
                    .str("cycleId", &rng.guid())
                    .str("changeId", &change)
                    .str("action", "Update")
                    .str("provisioningAction", "update")
                    .obj("servicePrincipal", |s| {
                        s.str("Id", &sp.sp_id).str("Name", &sp.name);
                    })
                    .obj("sourceSystem", |s| {
                        s.raw("details", "{}")
                            .str("Id", "bab3751f-8f21-4657-8fce-698f7391dbdd")
                            .str("Name", "Azure Active Directory");
                    })
                    .obj("targetSystem", |s| {
                        s.obj("details", |d| {
                            d.str("ApplicationId", &sp.app_id)
                                .str("ServicePrincipalId", &sp.sp_id)
                                .str("ServicePrincipalDisplayName", &sp.name);
                        })
                        .str("Id", "011a448f-1441-4336-8c20-e2d2cef9c410")
                        .str("Name", "ServiceNow");
                    })
                    .obj("initiatedBy", |i| {
                        i.str("Type", "system").str("Id", "").str("Name", "Azure AD Provisioning Service");
                    })
                    .obj("sourceIdentity", |s| {
                        s.str("identityType", "User")
                            .obj("details", |d| {
                                d.str("id", &user.id)
                                    .str("odatatype", "User")
                                    .str("DisplayName", &user.display_name)
                                    .str("UserPrincipalName", &user.upn);
                            })
                            .str("Id", &user.id)
                            .str("Name", &user.display_name);
                    })
                    .obj("targetIdentity", |s| {
                        s.str("identityType", "urn:ietf:params:scim:schemas:core:2.0:User")
                            .raw("details", "{}")
                            .str("Id", &rng.token(32))
                            .str("Name", &user.upn);
                    })
                    .obj("provisioningStatusInfo", |s| {
                        s.str("Status", status);
                        if outcome == 2 {
                            s.obj("errorInformation", |e| {
                                e.str("errorCode", "SystemForCrossDomainIdentityManagementServiceIncompatible")
                                    .str("reason", "The SCIM endpoint returned HTTP 400: {\"detail\":\"Attribute 'name.familyName' is required\",\"status\":\"400\"}")
                                    .str("additionalDetails", "")
                                    .str("errorCategory", "NonServiceFailure")
                                    .str("recommendedAction", "Check the attribute mappings of the application.");
                            });
                        } else {
                            s.raw("errorInformation", "null");
                        }
                    })
                    .obj("statusInfo", |s| {
                        s.int("Status", [0, 2, 1][outcome]);
                    })
                    .arr("provisioningSteps", |a| {
                        let step = |a: &mut crate::json::Arr, name: &str, kind: i64, status: i64, description: String, details: &[(&str, &str)]| {
                            a.obj(|s| {
                                s.str("name", name)
                                    .int("provisioningStepType", kind)
                                    .int("status", status)
                                    .str("description", &description)
                                    .obj("details", |d| {
                                        for (k, v) in details {
                                            d.str(k, v);
                                        }
                                    });
                            });
                        };
                        step(a, "EntryImportAdd", 0, 0, format!("Received User '{}' change of type (Update) from Azure Active Directory", user.upn), &[("objectId", &user.id), ("accountEnabled", "True"), ("displayName", &user.display_name), ("userPrincipalName", &user.upn), ("IsSoftDeleted", "False")]);
                        step(a, "EntrySynchronizationScoping", 1, 0, "Determine if User in scope by evaluating against each scoping filter".into(), &[("Active in the source system", "True"), ("Assigned to the application", "True"), ("User has the required role", "True"), ("Scoping filter evaluation passed", "True"), ("ScopeEvaluationResult", "{}")]);
                        step(a, "EntryExportUpdate", 2, outcome as i64, format!("User '{}' was updated in ServiceNow", user.upn), &[("ReportableIdentifier", &user.upn)]);
                    })
                    .arr("modifiedProperties", |a| {
                        a.obj(|m| {
                            m.str("displayName", "title").str("oldValue", "Engineer").str("newValue", "Senior Engineer");
                        });
                        a.obj(|m| {
                            m.str("displayName", "department").str("oldValue", "").str("newValue", "Platform");
                        });
                    })
                    .int("durationInMilliseconds", duration);
            });
    });
    (json, outcome == 2)
}

/// A tiny record, the least an Entra record carries (about 140 bytes):
/// `{"time":…,"category":"AuditLogs","properties":{"id":…}}`. Packed by the thousand into an
/// event, such records are the worst case for anything that grows with the record count.
pub fn tiny(rng: &mut Rng, at: Ticks) -> Record {
    let json = object(|o| {
        o.str("time", &time::zulu7(at))
            .str("category", "AuditLogs")
            .obj("properties", |p| {
                p.str(
                    "id",
                    &format!(
                        "Directory_{}_{}",
                        rng.guid(),
                        rng.token(5).to_ascii_uppercase()
                    ),
                );
            });
    });
    Record {
        category: Category::AuditLogs,
        failed: false,
        json,
    }
}

/// An audit record of at most `bytes` bytes and nearly that (within about 200 bytes): an
/// application update whose `AppAddress` property lists reply URLs, as a JSON array inside a
/// string, until the record is that large. Records larger than `MAX_ENTRY_BYTES` are sent to
/// Coralogix in parts.
pub fn large(rng: &mut Rng, tenant: &Tenant, at: Ticks, bytes: usize) -> Record {
    let correlation = rng.guid();
    let admin = &tenant.users[*rng.pick(&tenant.admins)];
    let sp = rng.pick(&tenant.service_principals);
    let id = format!(
        "Directory_{}_{}",
        correlation,
        rng.token(5).to_ascii_uppercase()
    );
    let write = |addresses: &str| {
        object(|o| {
            o.str("time", &time::zulu7(at))
                .str(
                    "resourceId",
                    &format!("/tenants/{}/providers/Microsoft.aadiam", tenant.id),
                )
                .str("operationName", "Update application")
                .str("operationVersion", "1.0")
                .str("category", "AuditLogs")
                .str("tenantId", &tenant.id)
                .str("resultSignature", "None")
                .int("durationMs", 0)
                .str("callerIpAddress", &admin.ip)
                .str("correlationId", &correlation)
                .str("identity", &admin.display_name)
                .str("level", "Informational")
                .obj("properties", |p| {
                    p.str("id", &id)
                        .str("category", "ApplicationManagement")
                        .str("correlationId", &correlation)
                        .str("result", "success")
                        .str("resultReason", "")
                        .str("activityDisplayName", "Update application")
                        .str("activityDateTime", &time::offset7(at))
                        .str("loggedByService", "Core Directory")
                        .str("operationType", "Update")
                        .obj("initiatedBy", |i| {
                            i.obj("user", |u| {
                                u.str("id", &admin.id)
                                    .raw("displayName", "null")
                                    .str("userPrincipalName", &admin.upn)
                                    .str("ipAddress", &admin.ip)
                                    .raw("roles", "[]");
                            });
                        })
                        .str("userAgent", admin.device.user_agent)
                        .arr("targetResources", |t| {
                            t.obj(|r| {
                                r.str("id", &sp.sp_id)
                                    .str("displayName", &sp.name)
                                    .str("type", "Application")
                                    .arr("modifiedProperties", |m| {
                                        m.obj(|p| {
                                            p.str("displayName", "AppAddress")
                                                .str("oldValue", "[]")
                                                .str("newValue", addresses);
                                        });
                                        m.obj(|p| {
                                            p.str("displayName", "Included Updated Properties")
                                                .str("oldValue", "")
                                                .str("newValue", "\"AppAddress\"");
                                        });
                                    })
                                    .raw("administrativeUnits", "[]");
                            });
                        })
                        .arr("additionalDetails", |a| {
                            a.obj(|kv| {
                                kv.str("key", "User-Agent")
                                    .str("value", admin.device.user_agent);
                            });
                        });
                });
        })
    };
    // Each address costs its length plus one backslash per quote once written into the string.
    let room = bytes.saturating_sub(write("[]").len());
    let mut addresses = String::from("[");
    let mut written = 2;
    for n in 0.. {
        let address = format!(
            "{}{{\"AddressType\":0,\"Address\":\"https://app-{n:05}.{}/signin-oidc\",\"ReplyAddressClientType\":1,\"ReplyAddressIndex\":null,\"IsReplyAddressDefault\":false}}",
            if n == 0 { "" } else { "," },
            tenant.domain
        );
        let cost = address.len() + address.matches('"').count();
        if written + cost > room {
            break;
        }
        written += cost;
        addresses.push_str(&address);
    }
    addresses.push(']');
    Record {
        category: Category::AuditLogs,
        failed: false,
        json: write(&addresses),
    }
}

/// A compact audit record (about 1.2 KB, the smallest shape with Azure Monitor's common
/// fields): a group membership change made by an application (an access package), naming
/// the user only, with no modified properties, no user agent and no additional details.
pub fn compact_audit(rng: &mut Rng, tenant: &Tenant, at: Ticks) -> Record {
    let (name, operation) = if rng.chance(600) {
        ("Add member to group", "Assign")
    } else {
        ("Remove member from group", "Unassign")
    };
    let correlation = rng.guid();
    let user = rng.pick(&tenant.users);
    let json = object(|o| {
        o.str("time", &time::zulu7(at))
            .str(
                "resourceId",
                &format!("/tenants/{}/providers/Microsoft.aadiam", tenant.id),
            )
            .str("operationName", name)
            .str("operationVersion", "1.0")
            .str("category", "AuditLogs")
            .str("tenantId", &tenant.id)
            .str("resultSignature", "None")
            .int("durationMs", 0)
            .str("callerIpAddress", "")
            .str("correlationId", &correlation)
            .str("identity", "Microsoft Approval Management")
            .str("level", "Informational")
            .obj("properties", |p| {
                p.str(
                    "id",
                    &format!(
                        "Directory_{}_{}",
                        correlation,
                        rng.token(5).to_ascii_uppercase()
                    ),
                )
                .str("category", "GroupManagement")
                .str("correlationId", &correlation)
                .str("result", "success")
                .str("resultReason", "")
                .str("activityDisplayName", name)
                .str("activityDateTime", &time::offset7(at))
                .str("loggedByService", "Core Directory")
                .str("operationType", operation)
                .obj("initiatedBy", |i| {
                    i.obj("app", |a| {
                        a.str("appId", "65d91a3d-ab74-42e6-8a2f-0add61688c74")
                            .str("displayName", "Microsoft Approval Management")
                            .raw("servicePrincipalId", "null")
                            .raw("servicePrincipalName", "null");
                    });
                })
                .str("userAgent", "")
                .arr("targetResources", |t| {
                    t.obj(|r| {
                        r.str("id", &user.id)
                            .raw("displayName", "null")
                            .str("type", "User")
                            .str("userPrincipalName", &user.upn)
                            .raw("modifiedProperties", "[]")
                            .raw("administrativeUnits", "[]");
                    });
                })
                .raw("additionalDetails", "[]");
            });
    });
    Record {
        category: Category::AuditLogs,
        failed: false,
        json,
    }
}
