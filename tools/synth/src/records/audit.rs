//! Audit records: directory activities with their initiators and target resources.

use crate::json::{Obj, object};
use crate::rng::Rng;
use crate::tenant::Tenant;
use crate::time::{self, Ticks};

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

pub(super) fn audit(rng: &mut Rng, tenant: &Tenant, at: Ticks) -> (Vec<u8>, bool) {
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
