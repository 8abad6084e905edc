//! What to read: the files named on the command line, the files under the folders named
//! there, and stdin (`-`).
//!
//! Folders are walked recursively in a stable order (entries sorted by name at each level), so
//! two runs over the same folder read the same files in the same order. Hidden files and
//! folders (a name starting with `.`) are skipped, and so are symbolic links to folders (no
//! loops); a symbolic link to a file is read.

use std::io;
use std::path::{Component, Path, PathBuf};

/// One input to read.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where it is (`-` for stdin).
    pub path: PathBuf,
    /// What identifies it in the ids of records that have none of their own (see [`id_name`]).
    pub name: String,
    /// Its size on disk, when known (not for stdin).
    pub size: Option<u64>,
}

impl InputFile {
    /// Whether this is stdin.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }
}

/// The inputs found, and the paths that could not be listed.
#[derive(Debug, Default)]
pub struct Found {
    /// The files to read, in order.
    pub files: Vec<InputFile>,
    /// Paths that do not exist or could not be listed, with why.
    pub errors: Vec<(PathBuf, io::Error)>,
}

impl Found {
    /// The sum of the sizes of the files, if every size is known.
    pub fn total_bytes(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Lists the files behind `args`, in order: each file as it is, each folder's files
/// recursively, sorted. Says how many files each folder held.
pub fn find(args: &[PathBuf]) -> Found {
    let mut found = Found::default();
    for arg in args {
        if arg.as_os_str() == "-" {
            found.files.push(InputFile {
                path: arg.clone(),
                name: "stdin".into(),
                size: None,
            });
            continue;
        }
        match std::fs::metadata(arg) {
            Ok(meta) if meta.is_dir() => {
                let before = found.files.len();
                let mut hidden = 0;
                walk(arg, arg, &mut found, &mut hidden);
                let files = &found.files[before..];
                let skipped = match hidden {
                    0 => String::new(),
                    n => format!(" ({n} hidden files or folders skipped)"),
                };
                if files.is_empty() {
                    tracing::warn!("{}: no files in it{skipped}", arg.display());
                    continue;
                }
                let bytes: u64 = files.iter().filter_map(|f| f.size).sum();
                tracing::info!(
                    "{}: {} files, {}{skipped}",
                    arg.display(),
                    files.len(),
                    super::progress::size(bytes),
                );
            }
            Ok(meta) => found.files.push(InputFile {
                path: arg.clone(),
                name: id_name(arg, None),
                size: Some(meta.len()),
            }),
            Err(e) => found.errors.push((arg.clone(), e)),
        }
    }
    found
}

/// Adds the files under `dir` (inside the folder `root` given on the command line), sorted.
fn walk(root: &Path, dir: &Path, found: &mut Found, hidden: &mut usize) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            found.errors.push((dir.to_owned(), e));
            return;
        }
    };
    let mut entries: Vec<_> = match entries.collect::<Result<_, _>>() {
        Ok(entries) => entries,
        Err(e) => {
            found.errors.push((dir.to_owned(), e));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            *hidden += 1;
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            found
                .errors
                .push((path, io::Error::other("cannot tell its type")));
            continue;
        };
        if kind.is_dir() {
            walk(root, &path, found, hidden);
            continue;
        }
        // A symbolic link is followed to a file, never to a folder.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => found.files.push(InputFile {
                name: id_name(&path, Some(root)),
                path,
                size: Some(meta.len()),
            }),
            Ok(_) => {}
            Err(e) => found.errors.push((path, e)),
        }
    }
}

/// What names a file in the ids of its records that have none of their own
/// (`file:<name>:<event>:<record>`), the same wherever the files were downloaded to:
///
/// - in a storage-account export (a path through an `insights-logs-<category>` folder), the
///   path from that folder on, since every blob there is named `PT1H.json`;
/// - a file found in a folder given on the command line: its path inside that folder;
/// - a file given on the command line: its name.
pub fn id_name(path: &Path, root: Option<&Path>) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if let Some(at) = parts.iter().rposition(|p| p.starts_with("insights-logs-")) {
        return parts[at..].join("/");
    }
    if let Some(inside) = root.and_then(|root| path.strip_prefix(root).ok()) {
        let inside: Vec<String> = inside
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if !inside.is_empty() {
            return inside.join("/");
        }
    }
    parts.last().cloned().unwrap_or_else(|| "stdin".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_names_do_not_depend_on_where_the_files_are() {
        let export = Path::new(
            "/tmp/dl/insights-logs-signinlogs/resourceId=/tenants/t1/providers/microsoft.aadiam/y=2026/m=11/d=02/h=08/m=00/PT1H.json",
        );
        assert_eq!(
            id_name(export, Some(Path::new("/tmp/dl"))),
            "insights-logs-signinlogs/resourceId=/tenants/t1/providers/microsoft.aadiam/y=2026/m=11/d=02/h=08/m=00/PT1H.json"
        );
        assert_eq!(
            id_name(Path::new("parked/a/b.json.gz"), Some(Path::new("parked"))),
            "a/b.json.gz"
        );
        assert_eq!(
            id_name(Path::new("../x/audit.ndjson"), None),
            "audit.ndjson"
        );
    }

    #[test]
    fn folders_are_walked_in_order_without_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "b/2.json",
            "b/10.json",
            "a.json",
            ".hidden/x.json",
            "b/.y.json",
        ] {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "{}").unwrap();
        }
        let found = find(&[root.to_owned(), root.join("missing")]);
        let names: Vec<&str> = found.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a.json", "b/10.json", "b/2.json"]);
        assert_eq!(found.total_bytes(), Some(6));
        assert_eq!(found.errors.len(), 1);
    }
}
