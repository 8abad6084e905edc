//! Records of extreme sizes for memory benchmarks: tiny, large, and compact audit records.

use super::{Category, Record};
use crate::json::object;
use crate::rng::Rng;
use crate::tenant::Tenant;
use crate::time::{self, Ticks};

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
