//! Sign-ins: interactive and non-interactive user sign-ins, service principals and managed identities.

use crate::json::{Obj, object};
use crate::rng::Rng;
use crate::tenant::{CLIENT_APPS, RESOURCES, Tenant, documentation_ip};
use crate::time::{self, Ticks};

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

pub(super) fn user_signin(
    rng: &mut Rng,
    tenant: &Tenant,
    at: Ticks,
    interactive: bool,
) -> (Vec<u8>, bool) {
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

pub(super) fn workload_signin(
    rng: &mut Rng,
    tenant: &Tenant,
    at: Ticks,
    managed: bool,
) -> (Vec<u8>, bool) {
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
