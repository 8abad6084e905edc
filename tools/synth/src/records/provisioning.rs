//! Provisioning records: the PascalCase `Id`/`Name`/`Status` objects.

use crate::json::object;
use crate::rng::Rng;
use crate::tenant::Tenant;
use crate::time::{self, Ticks};

pub(super) fn provisioning(rng: &mut Rng, tenant: &Tenant, at: Ticks) -> (Vec<u8>, bool) {
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
