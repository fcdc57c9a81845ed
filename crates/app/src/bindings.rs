//! The TypeScript bindings of the IPC: one file per DTO (ts-rs) plus
//! `commands.ts`, the map from command name to argument and result types,
//! and the events. Written into `ui/src/lib/bindings/` and committed; a
//! test fails when the committed files differ from what the Rust types
//! generate (`STOCKROOM_BLESS_BINDINGS=1 cargo test -p stockroom-app
//! bindings` rewrites them).

use std::collections::BTreeMap;
use std::path::Path;

use ts_rs::{Config, Dependency, TS};

use crate::error::{ErrorCode, IpcError};
use crate::types::*;

/// The folder the UI imports the bindings from, from the repository root.
pub const BINDINGS_DIR: &str = "ui/src/lib/bindings";

/// Events the app emits, by name, with their payload type.
pub const EVENTS: &[(&str, &str)] = &[("sync-status", "SyncStatusDto")];

fn config(dir: &Path) -> Config {
    Config::new().with_large_int("number").with_out_dir(dir)
}

/// The exportable types `T` names: itself, or for a list, an option or
/// `()` the types it holds.
fn named_types<T: TS + 'static + ?Sized>(cfg: &Config) -> Vec<Dependency> {
    if let Some(dependency) = Dependency::from_ty::<T>(cfg) {
        return vec![dependency];
    }
    struct Collect<'a>(&'a Config, Vec<Dependency>);
    impl ts_rs::TypeVisitor for Collect<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            let found = named_types::<U>(self.0);
            self.1.extend(found);
        }
    }
    let mut collect = Collect(cfg, Vec::new());
    T::visit_generics(&mut collect);
    collect.1
}

/// Exports `T` with everything it depends on.
fn export_named<T: TS + 'static + ?Sized>(cfg: &Config) -> Result<(), ts_rs::ExportError> {
    if T::output_path().is_some() {
        return T::export_all(cfg);
    }
    struct ExportEach<'a>(&'a Config, Result<(), ts_rs::ExportError>);
    impl ts_rs::TypeVisitor for ExportEach<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            if self.1.is_ok() {
                self.1 = export_named::<U>(self.0);
            }
        }
    }
    let mut visitor = ExportEach(cfg, Ok(()));
    T::visit_generics(&mut visitor);
    visitor.1
}

macro_rules! generate_bindings {
    ($($name:ident($args:ty) -> $out:ty;)*) => {
        /// Writes every binding into `dir` (which must exist).
        pub fn write_bindings(dir: &Path) -> Result<(), String> {
            let cfg = config(dir);
            let fail = |err: ts_rs::ExportError| err.to_string();
            IpcError::export_all(&cfg).map_err(fail)?;
            ErrorCode::export_all(&cfg).map_err(fail)?;
            SyncStatusDto::export_all(&cfg).map_err(fail)?;
            ScanOut::export_all(&cfg).map_err(fail)?;
            $(
                export_named::<$args>(&cfg).map_err(fail)?;
                export_named::<$out>(&cfg).map_err(fail)?;
            )*
            let mut imports = BTreeMap::new();
            imports.insert("SyncStatusDto".to_string(), ());
            imports.insert("ScanOut".to_string(), ());
            imports.insert("ProductDto".to_string(), ());
            $(
                for dependency in named_types::<$args>(&cfg).into_iter().chain(named_types::<$out>(&cfg)) {
                    imports.insert(dependency.ts_name, ());
                }
            )*
            let mut text = String::from(
                "// Generated from crates/app (the `with_commands!` list); do not edit.\n\
                 // Every command: `call(name, args)` resolves to `out` or throws an IpcError.\n\
                 // Tauri: `invoke(name, { args })`; the web twin: POST /api/cmd/{name} with `args` as the body.\n",
            );
            for name in imports.keys() {
                text.push_str(&format!("import type {{ {name} }} from \"./{name}\";\n"));
            }
            text.push_str("\nexport type Commands = {\n");
            $(
                text.push_str(&format!(
                    "  {}: {{ args: {}; out: {} }};\n",
                    stringify!($name),
                    <$args as TS>::name(&cfg),
                    <$out as TS>::name(&cfg),
                ));
            )*
            text.push_str("};\n\nexport type CommandName = keyof Commands;\n\n");
            text.push_str("export const COMMAND_NAMES: CommandName[] = [\n");
            $( text.push_str(&format!("  \"{}\",\n", stringify!($name))); )*
            text.push_str("];\n\n/** Commands that take raw bytes, not JSON args (`scanFrame`, `decodeImage`, the photo commands). */\n");
            text.push_str("export type BinaryCommands = {\n");
            for name in crate::commands::scan::BINARY_COMMANDS {
                text.push_str(&format!("  {name}: {{ out: ScanOut }};\n"));
            }
            text.push_str("  set_product_photo: { out: ProductDto };\n");
            text.push_str("  product_photo: { out: ArrayBuffer };\n");
            text.push_str("};\n\n/** Events (Tauri events and the twin's SSE `event:` names) and their payloads. */\n");
            text.push_str("export type Events = {\n");
            for (event, payload) in EVENTS {
                text.push_str(&format!("  \"{event}\": {payload};\n"));
            }
            text.push_str("};\n");
            std::fs::write(dir.join("commands.ts"), text).map_err(|err| err.to_string())?;
            Ok(())
        }
    };
}

crate::with_commands!(generate_bindings);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn read_dir(dir: &Path) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") {
                files.insert(name, std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        files
    }

    #[test]
    fn committed_bindings_match_the_rust_types() {
        let generated = tempfile::tempdir().unwrap();
        super::write_bindings(generated.path()).unwrap();
        let fresh = read_dir(generated.path());
        let committed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(super::BINDINGS_DIR);
        if std::env::var_os("STOCKROOM_BLESS_BINDINGS").is_some() {
            std::fs::create_dir_all(&committed_dir).unwrap();
            for name in read_dir(&committed_dir).keys() {
                std::fs::remove_file(committed_dir.join(name)).unwrap();
            }
            for (name, text) in &fresh {
                std::fs::write(committed_dir.join(name), text).unwrap();
            }
        }
        let committed = read_dir(&committed_dir);
        let stale: Vec<&String> = fresh
            .iter()
            .filter(|(name, text)| committed.get(*name) != Some(text))
            .map(|(name, _)| name)
            .collect();
        let extra: Vec<&String> = committed.keys().filter(|name| !fresh.contains_key(*name)).collect();
        assert!(
            stale.is_empty() && extra.is_empty(),
            "ui/src/lib/bindings is out of date (changed or missing: {stale:?}; no longer generated: {extra:?}); \
             run `STOCKROOM_BLESS_BINDINGS=1 cargo test -p stockroom-app bindings` and commit the result"
        );
        assert!(fresh.contains_key("commands.ts") && fresh.contains_key("IpcError.ts"));
    }
}
