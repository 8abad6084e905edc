//! What machine the figures were measured on, for the reports' headers: the CPU model (from
//! /proc/cpuinfo), cores, kernel and load.

/// The CPU model, e.g. "AMD EPYC 9R14 (family 25, model 17), AVX2, AVX-512".
pub fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let flags = field("flags");
    let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
    let mut simd = Vec::new();
    if has("avx2") {
        simd.push("AVX2");
    }
    if has("avx512f") {
        simd.push("AVX-512");
    }
    if has("hypervisor") {
        simd.push("under a hypervisor");
    }
    let mut model = field("model name");
    if model.is_empty() {
        model = "unknown CPU".into();
    }
    format!(
        "{model} (family {}, model {}){}{}",
        field("cpu family"),
        field("model"),
        if simd.is_empty() { "" } else { ", " },
        simd.join(", ")
    )
}

/// The kernel release.
pub fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line for a report's header: CPU, cores, kernel.
pub fn describe() -> String {
    format!(
        "CPU: {}. {} cores, kernel {}.",
        cpu_model(),
        cores(),
        kernel()
    )
}
