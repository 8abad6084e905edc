//! One synthetic tenant: its users, devices, applications, workload identities and Conditional
//! Access policies. Records draw from these, so ids and names repeat as they do in a real
//! tenant's logs.
//!
//! Names use reserved example domains and documentation IP ranges; the first-party application
//! ids are Microsoft's public, well-known ones.

use crate::rng::Rng;

pub struct Tenant {
    pub id: String,
    pub domain: &'static str,
    pub users: Vec<User>,
    pub policies: Vec<Policy>,
    pub service_principals: Vec<Workload>,
    pub managed_identities: Vec<Workload>,
    pub groups: Vec<(String, String)>,
    pub admins: Vec<usize>,
}

pub struct User {
    pub id: String,
    pub display_name: String,
    pub upn: String,
    pub place: &'static Place,
    pub ip: String,
    pub device: Device,
}

pub struct Device {
    pub id: String,
    pub display_name: String,
    pub os: &'static str,
    pub browser: &'static str,
    pub trust_type: &'static str,
    pub compliant: bool,
    pub user_agent: &'static str,
}

pub struct Place {
    pub city: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub lat: &'static str,
    pub lon: &'static str,
    pub asn: i64,
}

pub struct Policy {
    pub id: String,
    pub display_name: &'static str,
    pub grant: &'static [&'static str],
    pub session: &'static [&'static str],
    pub report_only: bool,
}

/// A service principal or managed identity that signs in.
pub struct Workload {
    pub app_id: String,
    pub sp_id: String,
    pub name: String,
    pub credential_key_id: String,
    pub resource: usize,
    pub ip: String,
    /// Managed identities: the Azure resource that holds the identity.
    pub resource_id: String,
}

/// A first-party client application: (app id, display name, client app used).
pub const CLIENT_APPS: &[(&str, &str, &str)] = &[
    (
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "Microsoft Teams",
        "Mobile Apps and Desktop clients",
    ),
    (
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        "Microsoft Office",
        "Mobile Apps and Desktop clients",
    ),
    (
        "ab9b8c07-8f02-4f72-87fa-80105867a763",
        "OneDrive SyncEngine",
        "Mobile Apps and Desktop clients",
    ),
    (
        "27922004-5251-4030-b22d-91ecd9a37ea4",
        "Outlook Mobile",
        "Mobile Apps and Desktop clients",
    ),
    (
        "29d9ed98-a469-4536-ade2-f981bc1d605e",
        "Microsoft Authentication Broker",
        "Mobile Apps and Desktop clients",
    ),
    (
        "38aa3b87-a06d-4817-b275-7a316988d93b",
        "Windows Sign In",
        "Mobile Apps and Desktop clients",
    ),
    (
        "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        "Azure Portal",
        "Browser",
    ),
    (
        "4765445b-32c6-49b0-83e6-1d93765276ca",
        "OfficeHome",
        "Browser",
    ),
    (
        "89bee1f7-5e6e-4d8a-9f3d-ecd601259da7",
        "Office365 Shell WCSS-Client",
        "Browser",
    ),
    (
        "ecd6b820-32c2-49b6-98a6-444530e5a77a",
        "Microsoft Edge",
        "Browser",
    ),
];

/// A resource (API) signed in to: (resource id, display name).
pub const RESOURCES: &[(&str, &str)] = &[
    ("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
    (
        "00000002-0000-0ff1-ce00-000000000000",
        "Office 365 Exchange Online",
    ),
    (
        "00000003-0000-0ff1-ce00-000000000000",
        "Office 365 SharePoint Online",
    ),
    (
        "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
        "Microsoft Teams Services",
    ),
    (
        "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        "Windows Azure Service Management API",
    ),
    ("cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "Azure Key Vault"),
    ("e406a681-f3d4-42a8-90b6-c2b029497af1", "Azure Storage"),
];

pub const PLACES: &[Place] = &[
    Place {
        city: "Amsterdam",
        state: "Noord-Holland",
        country: "NL",
        lat: "52.37403",
        lon: "4.88969",
        asn: 1136,
    },
    Place {
        city: "Hannover",
        state: "Niedersachsen",
        country: "DE",
        lat: "52.37052",
        lon: "9.73322",
        asn: 3320,
    },
    Place {
        city: "München",
        state: "Bayern",
        country: "DE",
        lat: "48.13743",
        lon: "11.57549",
        asn: 3320,
    },
    Place {
        city: "London",
        state: "England",
        country: "GB",
        lat: "51.50853",
        lon: "-0.12574",
        asn: 2856,
    },
    Place {
        city: "Champs-Sur-Marne",
        state: "Seine-Et-Marne",
        country: "FR",
        lat: "48.85275",
        lon: "2.60257",
        asn: 3215,
    },
    Place {
        city: "Seattle",
        state: "Washington",
        country: "US",
        lat: "47.60621",
        lon: "-122.33207",
        asn: 7922,
    },
    Place {
        city: "São Paulo",
        state: "São Paulo",
        country: "BR",
        lat: "-23.5475",
        lon: "-46.63611",
        asn: 28573,
    },
    Place {
        city: "Hyderabad",
        state: "Telangana",
        country: "IN",
        lat: "17.38405",
        lon: "78.45636",
        asn: 24560,
    },
    Place {
        city: "Zürich",
        state: "Zürich",
        country: "CH",
        lat: "47.36667",
        lon: "8.55",
        asn: 3303,
    },
];

const FIRST: &[&str] = &[
    "Avery", "Jordan", "Noor", "Mateo", "Sofia", "Liam", "Yuki", "Amara", "Lukas", "Chloé", "Ines",
    "Kai", "Priya", "Tomás", "Elif", "Oskar", "Zara", "Ravi", "Freya", "Jonas",
];
const LAST: &[&str] = &[
    "Example",
    "Jansen",
    "Müller",
    "García",
    "Rossi",
    "Nakamura",
    "Okafor",
    "Schmidt",
    "Dubois",
    "Novak",
    "Kowalski",
    "Fischer",
    "Sharma",
    "Lindqvist",
    "Moreau",
    "Costa",
    "Haddad",
    "Berg",
];

/// (os, browser, trust type, user agent)
const DEVICES: &[(&str, &str, &str, &str)] = &[
    (
        "Windows10",
        "Edge 130.0.0",
        "Hybrid Azure AD joined",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    (
        "Windows10",
        "Chrome 131.0.0",
        "Azure AD joined",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    (
        "Windows10",
        "Rich Client 5.2.8.0",
        "Hybrid Azure AD joined",
        "Windows-AzureAD-Authentication-Provider/1.0",
    ),
    (
        "MacOs",
        "Safari 18.1",
        "",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    ),
    (
        "Ios 18.1",
        "Mobile Safari 18.1",
        "Azure AD registered",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Teams/6.27.0",
    ),
    (
        "Android 14",
        "Rich Client 4.0.4",
        "Azure AD registered",
        "Dalvik/2.1.0 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007)",
    ),
];

/// (name, grant controls, session controls, report-only)
const POLICIES: &[(&str, &[&str], &[&str], bool)] = &[
    ("CA01 MFA all users", &["Mfa"], &[], false),
    ("CA02 Block legacy auth", &["Block"], &[], false),
    (
        "CA03 Compliant or hybrid device",
        &["RequireCompliantDevice", "RequireDomainJoinedDevice"],
        &[],
        false,
    ),
    ("CA04 MFA admins", &["Mfa"], &[], false),
    ("CA05 MFA für Gäste", &["Mfa"], &[], false),
    ("CA06 Block countries", &["Block"], &[], false),
    (
        "CA07 Sign-in frequency unmanaged",
        &[],
        &["SignInFrequency", "PersistentBrowserSessionMode"],
        false,
    ),
    (
        "CA08 Approved apps on mobile",
        &["RequireApprovedApp", "RequireCompliantApp"],
        &[],
        false,
    ),
    ("CA09 Block high sign-in risk", &["Block"], &[], false),
    (
        "CA10 High user risk",
        &["Mfa", "PasswordChange"],
        &[],
        false,
    ),
    // Some tenants' names arrive double-escaped in the logs
    // (`docs/entra-logs.md#properties-by-family`).
    (
        "CA11 Azure mgmt MFA \\u0026 device",
        &["Mfa", "RequireCompliantDevice"],
        &[],
        false,
    ),
    (
        "CA12 Defender for Cloud Apps",
        &[],
        &["CloudAppSecurity"],
        false,
    ),
    (
        "CA13 Strict location (CAE)",
        &[],
        &["ContinuousAccessEvaluation"],
        false,
    ),
    ("CA14 RO block device code", &["Block"], &[], true),
    ("CA15 RO phishing-resistant MFA", &["Mfa"], &[], true),
];

impl Tenant {
    pub fn new(rng: &mut Rng) -> Tenant {
        let users: Vec<User> = (0..400)
            .map(|i| {
                let first = FIRST[i % FIRST.len()];
                let last = LAST[(i / FIRST.len() + i) % LAST.len()];
                let (os, browser, trust, ua) = *rng.pick(DEVICES);
                let managed = !trust.is_empty();
                User {
                    id: rng.guid(),
                    display_name: format!("{first} {last}"),
                    upn: format!(
                        "{}.{}{}@contoso.example",
                        ascii_lower(first),
                        ascii_lower(last),
                        if i >= FIRST.len() * LAST.len() / 2 {
                            i.to_string()
                        } else {
                            String::new()
                        }
                    ),
                    place: rng.pick(PLACES),
                    ip: documentation_ip(rng),
                    device: Device {
                        id: if managed { rng.guid() } else { String::new() },
                        display_name: if managed {
                            format!("CTS-{:06}", rng.below(1_000_000))
                        } else {
                            String::new()
                        },
                        os,
                        browser,
                        trust_type: trust,
                        compliant: managed && rng.chance(850),
                        user_agent: ua,
                    },
                }
            })
            .collect();
        let policies = POLICIES
            .iter()
            .map(|&(name, grant, session, report_only)| Policy {
                id: rng.guid(),
                display_name: name,
                grant,
                session,
                report_only,
            })
            .collect();
        let workload = |rng: &mut Rng, name: String, mi: bool| Workload {
            app_id: rng.guid(),
            sp_id: rng.guid(),
            name,
            credential_key_id: if mi { String::new() } else { rng.guid() },
            resource: rng.below(RESOURCES.len() as u64) as usize,
            ip: if mi {
                String::new()
            } else {
                documentation_ip(rng)
            },
            resource_id: format!(
                "/subscriptions/{}/resourcegroups/rg-prod-{:02}/providers/Microsoft.Web/sites/func-entra-{:03}",
                rng.guid(),
                rng.below(20),
                rng.below(1000)
            ),
        };
        const SP_NAMES: &[&str] = &[
            "Terraform-Deploy",
            "Backup-Agent",
            "HR-Sync",
            "Datadog-Integration",
            "ServiceNow-Connector",
            "GitHub-Actions-OIDC",
            "Payroll-Export",
            "SIEM-Collector",
        ];
        let service_principals = (0..24)
            .map(|i| {
                workload(
                    rng,
                    format!("{}-{:02}", SP_NAMES[i % SP_NAMES.len()], i),
                    false,
                )
            })
            .collect();
        let managed_identities = (0..16)
            .map(|i| workload(rng, format!("func-entra-{i:03}"), true))
            .collect();
        let groups = (0..30)
            .map(|i| {
                (
                    rng.guid(),
                    format!(
                        "SG-{}-{:02}",
                        ["Sales", "Engineering", "Finance", "Support", "Licensing-E5"][i % 5],
                        i
                    ),
                )
            })
            .collect();
        Tenant {
            id: rng.guid(),
            domain: "contoso.example",
            users,
            policies,
            service_principals,
            managed_identities,
            groups,
            admins: vec![0, 1, 2, 3],
        }
    }
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' => 'e',
            'í' | 'ï' => 'i',
            'ü' => 'u',
            'á' => 'a',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// An address from the documentation ranges (RFC 5737, RFC 3849).
pub fn documentation_ip(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => format!(
            "2001:db8:{:x}:{:x}::{:x}",
            rng.below(0xffff),
            rng.below(0xffff),
            rng.range(1, 0xffff)
        ),
        1..=4 => format!("203.0.113.{}", rng.range(1, 254)),
        5..=7 => format!("198.51.100.{}", rng.range(1, 254)),
        _ => format!("192.0.2.{}", rng.range(1, 254)),
    }
}
